"""The field checks a record's values go through: each names the field it refuses, in the
words the API answers with."""

from decimal import Decimal, InvalidOperation

import msgspec

from logs.record.codec import MAX_NUMBER_CHARS, UNFIT_NUMBER
from logs.record.values import MAX_INT, MAX_MONEY

_INT_BOUND = 10**MAX_NUMBER_CHARS  # no integer of at most MAX_NUMBER_CHARS digits reaches it


def fits(value):
    """False for a number that the store could not hold and read back cheaply: kept raw,
    not finite (NaN from the standard reader), or an integer msgspec read past the bound."""
    if isinstance(value, Decimal):
        return value.is_finite()
    if isinstance(value, int):
        return -_INT_BOUND < value < _INT_BOUND
    return not isinstance(value, msgspec.Raw)


def _all_fit(value):
    # The usual answer, found without building a single path: a few small ints and strings.
    stack = [value]
    while stack:
        node = stack.pop()
        kind = type(node)
        if kind is dict:
            stack.extend(node.values())
        elif kind is list:
            stack.extend(node)
        elif kind is int:
            if not -_INT_BOUND < node < _INT_BOUND:
                return False
        elif kind is not str and kind is not bool and node is not None and not fits(node):
            return False
    return True


def check_numbers(value, name, errors):
    """Names the first unfit number anywhere in a value that is stored without validation
    (nativeTokens, extra keys), e.g. "nativeTokens.usage.prompt_tokens"."""
    if _all_fit(value):
        return
    stack = [(value, None)]
    while stack:
        node, where = stack.pop()
        if isinstance(node, dict):
            stack.extend((v, (where, f".{k}")) for k, v in node.items())
        elif isinstance(node, list):
            stack.extend((v, (where, f"[{i}]")) for i, v in enumerate(node))
        elif not isinstance(node, str) and not fits(node):
            parts = []
            while where is not None:
                where, part = where
                parts.append(part)
            finite = not isinstance(node, Decimal) or node.is_finite()
            message = UNFIT_NUMBER if finite else "must be a finite number"
            errors.add(name + "".join(reversed(parts)), message)
            return


class Errors:
    def __init__(self):
        self.items = []

    def add(self, field_name, message):
        self.items.append({"field": field_name, "message": message})


def read_string(obj, key, errors, *, required=False, pattern=None, max_length=200, path=None):
    name = path or key
    if key not in obj or obj[key] is None:
        if required:
            errors.add(name, "is required")
        return None
    value = obj[key]
    if not isinstance(value, str):
        errors.add(name, f"must be a string, got {type_name(value)}")
        return None
    if required and not value:
        errors.add(name, "must not be empty")
        return None
    if len(value) > max_length:
        errors.add(name, f"must be at most {max_length} characters")
        return None
    # fullmatch: with match, the patterns' $ would let a trailing newline through.
    if pattern is not None and value and not pattern.fullmatch(value):
        errors.add(name, "has characters that are not allowed (letters, digits, _ . : - /)")
        return None
    return value


def read_integer(value, name, errors):
    if isinstance(value, msgspec.Raw):
        errors.add(name, UNFIT_NUMBER)
        return None
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        errors.add(name, f"must be a non-negative integer, got {type_name(value)}")
        return None
    if isinstance(value, Decimal) and not value.is_finite():
        errors.add(name, "must be a non-negative integer")
        return None
    # The range first (O(1) on a Decimal), then int(): int(Decimal("1e300")) is cheap, but
    # a Decimal handed in directly may not be.
    if value < 0:
        errors.add(name, "must not be negative")
        return None
    if value > MAX_INT:
        errors.add(name, f"must be at most {MAX_INT}")
        return None
    if isinstance(value, Decimal):
        if value != value.to_integral_value():
            errors.add(name, "must be a non-negative integer")
            return None
        value = int(value)
    return value


def read_decimal(value, name, errors, *, maximum=MAX_MONEY, allow_negative=False):
    if isinstance(value, msgspec.Raw) or (isinstance(value, int) and not fits(value)):
        errors.add(name, UNFIT_NUMBER)
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        errors.add(name, f"must be a decimal number or string, got {type_name(value)}")
        return None
    if isinstance(value, str):
        value = value.strip()
        # On the text, before Decimal() reads it: see MAX_NUMBER_CHARS.
        if len(value) > MAX_NUMBER_CHARS:
            errors.add(name, f"is too long for a number (at most {MAX_NUMBER_CHARS} characters)")
            return None
    try:
        number = Decimal(value)
    except InvalidOperation:
        errors.add(name, f"is not a decimal number: {str(value)[:40]!r}")
        return None
    if not number.is_finite():
        errors.add(name, "must be a finite number")
        return None
    if abs(number) >= maximum:
        errors.add(name, f"is too large (must be below {maximum:,})")
        return None
    if number < 0 and not allow_negative:
        errors.add(name, "must not be negative")
        return None
    if number.as_tuple().exponent < -10:
        number = number.quantize(Decimal("1E-10"))
    return number


def read_boolean(value, name, errors):
    if not isinstance(value, bool):
        errors.add(name, f"must be true or false, got {type_name(value)}")
        return None
    return value


def type_name(value):
    return {
        dict: "an object",
        list: "an array",
        str: "a string",
        bool: "a boolean",
        int: "a number",
        Decimal: "a number",
        msgspec.Raw: "a number",
        type(None): "null",
    }.get(type(value), type(value).__name__)
