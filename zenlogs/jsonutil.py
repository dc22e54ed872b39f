"""JSON that carries numbers as Decimal both ways, so nothing logged or billed passes
through a float on its way to or from the database."""

import json
from decimal import Decimal

import simplejson


class DecimalJSONEncoder(json.JSONEncoder):
    # JSONField calls json.dumps(value, cls=encoder), which ends in encode(): route it to
    # simplejson, which writes a Decimal as the number it is.
    def encode(self, o):
        return simplejson.dumps(o, use_decimal=True, ensure_ascii=False)


class DecimalJSONDecoder(json.JSONDecoder):
    def __init__(self, *args, **kwargs):
        kwargs["parse_float"] = Decimal
        super().__init__(*args, **kwargs)
