"""The log list's filters. Parameter names are part of the product's interface: range,
from, to, q, api_key, request_id, provider, model, finish_reason, page_size, cursor, sort,
NAME_min / NAME_max for each NAME in NUMERIC_FILTERS, and live (with a poll's after and sums,
logs.listing.live)."""

import datetime as dt

import django_filters
from django import forms
from django.core.validators import MaxValueValidator
from django.http import QueryDict
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from logs import search
from logs.models import ApiKey, Facet, Generation
from logs.record.values import MAX_CREATED_AT, in_date_range
from zenlogs.keyset import CursorField, Order

from . import live

RANGES = {
    "1h": dt.timedelta(hours=1),
    "24h": dt.timedelta(hours=24),
    "7d": dt.timedelta(days=7),
    "30d": dt.timedelta(days=30),
    "90d": dt.timedelta(days=90),
    "all": None,
}
RANGE_LABELS = {
    "1h": _("Last hour"),
    "24h": _("Last 24 hours"),
    "7d": _("Last 7 days"),
    "30d": _("Last 30 days"),
    "90d": _("Last 90 days"),
    "all": _("All time"),
}
DEFAULT_RANGE = "7d"
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
# The numeric filters, each an inclusive pair NAME_min / NAME_max: the column it bounds (the
# one the list shows under that label) and whether its values are Decimals or whole numbers.
NUMERIC_FILTERS = {
    "cost": ("bill_amount", _("Cost (USD)"), "decimal"),
    "latency": ("first_token_latency_ms", _("Latency (ms)"), "integer"),
    "generation_time": ("generation_time_ms", _("Generation Time (ms)"), "integer"),
    "input_tokens": ("input_tokens", _("Input Tokens"), "integer"),
    "output_tokens": ("output_tokens", _("Output Tokens"), "integer"),
    "throughput": ("throughput", _("Throughput (tps)"), "decimal"),
}
# What a numeric filter may ask for is bounded so that every value reaches the database as
# one it can compare: SQLite has no integer past 2**63 - 1 (a bigger one would be a 500), and
# PostgreSQL's numeric overflows somewhere past a hundred thousand digits.
MAX_WHOLE_NUMBER = 2**63 - 1
MAX_DIGITS = 24  # as many as a money column holds (billing.models.MONEY)
NUMERIC_PARAMS = [f"{name}_{end}" for name in NUMERIC_FILTERS for end in ("min", "max")]
# The values of `sort`: newest first (the default) or oldest first, or by one of the figures
# the list shows, highest first (some lowest first too). Every name but created_at is a
# NUMERIC_FILTERS name and sorts by the column its bounds apply to; unknown values come last
# either way (zenlogs.keyset.Order).
SORTS = {
    "-created_at": _("Newest first"),
    "created_at": _("Oldest first"),
    "-cost": _("Cost, highest first"),
    "cost": _("Cost, lowest first"),
    "-latency": _("Latency, highest first"),
    "latency": _("Latency, lowest first"),
    "-generation_time": _("Generation time, highest first"),
    "-input_tokens": _("Input tokens, most first"),
    "-output_tokens": _("Output tokens, most first"),
    "-throughput": _("Throughput, highest first"),
}
DEFAULT_SORT = "-created_at"
# What a list URL means when it leaves a parameter out (short_query).
DEFAULTS = {"range": DEFAULT_RANGE, "page_size": str(DEFAULT_PAGE_SIZE), "sort": DEFAULT_SORT}


def short_query(query):
    """The list's query string (a QueryDict) without its empty parameters and those at their
    default, in the same order: the filter bar sends every field, most of them empty, and a
    link or a pushed URL of 330 characters says no more than `model=x`."""
    short = QueryDict(mutable=True)
    for name, values in query.lists():
        kept = [value for value in values if value != "" and value != DEFAULTS.get(name)]
        if kept:
            short.setlist(name, kept)
    return short


def has_empty_values(query):
    """Whether the query string carries an empty parameter, as a filter bar sent without
    JavaScript does (htmx's requests leave them out: static/zenlogs/app.js)."""
    return any("" in values for _name, values in query.lists())


def _given(data, names):
    """The values the query string gives for these multi-choice filters."""
    if data is None:
        return []
    return [value for name in names for value in data.getlist(name) if value]


def sort_order(sort):
    """The keyset Order of a `sort` value."""
    name = sort.removeprefix("-")
    column = "created_at" if name == "created_at" else NUMERIC_FILTERS[name][0]
    return Order(column, descending=sort.startswith("-"))


class DateTimeInput(forms.DateTimeField):
    """ISO 8601 (with or without offset) or a datetime-local value; a value without an
    offset is read in the user's time zone."""

    def to_python(self, value):
        if value in self.empty_values:
            return None
        text = str(value).strip()
        try:
            parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise forms.ValidationError(
                _("Enter a date and time like 2025-08-22T02:49 or 2025-08-22T02:49:18+00:00."),
                code="invalid",
            ) from None
        if parsed.tzinfo is None:
            parsed = timezone.make_aware(parsed, timezone.get_current_timezone())
        # The range ingestion accepts for createdAt (its end included, as `to` is exclusive):
        # further out, a zone's offset takes Python's datetime past year 1 or 9999 in the
        # window's arithmetic, and no generation is stored there anyway.
        if not in_date_range(parsed, end=MAX_CREATED_AT + dt.timedelta.resolution):
            raise forms.ValidationError(
                _("Enter a date and time from 1970-01-01T00:00:00Z to 2200-01-01T00:00:00Z."),
                code="out_of_range",
            )
        return parsed


def _utc(moment):
    return None if moment is None else moment.astimezone(dt.UTC)


class SearchField(forms.CharField):
    """q: the words, "phrases" and -exclusions of a text search, as a search.SearchQuery
    (None when blank). A query that cannot be searched is a form error saying why."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("label", _("Search"))
        # No max_length here: parse_query names the limit in its own words.
        super().__init__(**kwargs)

    def clean(self, value):
        value = super().clean(value)
        try:
            return search.parse_query(value)
        except search.QueryError as error:
            raise forms.ValidationError(str(error)) from None


def numeric_fields(given=None):
    """{param: form field} for each NAME_min and NAME_max (those in `given` only, when it is
    not None): Decimals for money and throughput (never floats), whole numbers for tokens and
    milliseconds, none negative."""
    fields = {}
    for name, (_column, label, kind) in NUMERIC_FILTERS.items():
        for end in ("min", "max"):
            if given is not None and f"{name}_{end}" not in given:
                continue
            if kind == "decimal":
                field = forms.DecimalField(
                    required=False,
                    min_value=0,
                    max_digits=MAX_DIGITS,
                    widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
                )
            else:
                field = forms.IntegerField(
                    required=False,
                    min_value=0,
                    # A validator, not max_value, which would print 2**63 - 1 into the input.
                    validators=[MaxValueValidator(MAX_WHOLE_NUMBER)],
                    widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
                )
            field.label = format_lazy("{} {}", label, end)
            fields[f"{name}_{end}"] = field
    return fields


def numeric_order_errors(cleaned_data):
    """[(NAME_max, NAME_min)] for each pair whose min is above its max (the max is wrong)."""
    errors = []
    for name in NUMERIC_FILTERS:
        low, high = cleaned_data.get(f"{name}_min"), cleaned_data.get(f"{name}_max")
        if low is not None and high is not None and low > high:
            errors.append((f"{name}_max", f"{name}_min"))
    return errors


def filter_numeric(queryset, cleaned_data):
    """The rows within every numeric bound given. A row whose value is unknown (NULL: a
    cost with no price, a latency never measured) matches no bound on it, min or max: SQL's
    comparisons with NULL are never true."""
    for name, (column, _label, _kind) in NUMERIC_FILTERS.items():
        low, high = cleaned_data.get(f"{name}_min"), cleaned_data.get(f"{name}_max")
        # `is not None`, not truthiness: 0 is a bound (cost_min=0 leaves out unknown costs).
        if low is not None:
            queryset = queryset.filter(**{f"{column}__gte": low})
        if high is not None:
            queryset = queryset.filter(**{f"{column}__lte": high})
    return queryset


class GenerationFilter(django_filters.FilterSet):
    # range, from, to, page_size, sort and cursor shape the window and the page rather than
    # filter a column: they are validated here and read by the list's state
    # (logs.listing.state), which gives filter_queryset its window. request_id filters and
    # clears the window.
    range = django_filters.ChoiceFilter(
        choices=list(RANGE_LABELS.items()), method="_noop", empty_label=None, label=_("Time")
    )
    api_key = django_filters.MultipleChoiceFilter(
        method="_filter_api_keys", label=_("API Keys"), widget=forms.CheckboxSelectMultiple
    )
    request_id = django_filters.CharFilter(method="_noop", label=_("Request ID"), max_length=64)
    # distinct=False: these filter columns of the row itself, so no join can repeat a row, and
    # django-filter's default SELECT DISTINCT would sort the whole window instead of reading
    # 51 rows off the index (bench/README.md).
    provider = django_filters.MultipleChoiceFilter(
        field_name="provider_slug",
        distinct=False,
        label=_("Provider"),
        widget=forms.CheckboxSelectMultiple,
    )
    model = django_filters.MultipleChoiceFilter(
        field_name="model_slug",
        distinct=False,
        label=_("Model"),
        widget=forms.CheckboxSelectMultiple,
    )
    finish_reason = django_filters.MultipleChoiceFilter(
        field_name="finish_reason",
        distinct=False,
        label=_("Finish Reason"),
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Generation
        fields: list = []

    def __init__(self, data=None, *args, account, given_only=False, **kwargs):
        """given_only=True builds and checks only the parameters the data gives (a parameter
        left out filters nothing) and reads only the dropdown choices it names, none when it
        names none: a live poll shows no form, and the form of every field with its choices,
        built and copied for each request, was a third of an empty poll's time
        (bench/README.md "Live list polls at 10M")."""
        self.account = account
        if data is not None and not data.get("range"):
            # The default window is part of the state the form shows, so it is selected.
            data = data.copy()
            data["range"] = DEFAULT_RANGE
        if given_only:
            self.base_filters = {n: f for n, f in self.base_filters.items() if n in data}
        super().__init__(data, *args, **kwargs)
        form_fields = self.form.fields
        form_fields["range"].required = False
        # The numeric ones built only when given: a dozen, the largest share of the form.
        extra = {
            **self._extra_fields(data),
            **numeric_fields(data if given_only else None),
            **live.fields(),
        }
        if given_only:
            extra = {name: field for name, field in extra.items() if name in data}
        form_fields.update(extra)
        facets = {kind: [] for kind in Facet.Kind.values}
        for kind, value in self._facets(data, given_only):
            facets[kind].append((value, value))
        keys = self._api_keys(data, given_only)
        for kind, choices in facets.items():
            if kind in form_fields:
                form_fields[kind].choices = choices
        if "api_key" in form_fields:
            form_fields["api_key"].choices = [
                (
                    key.external_id,
                    f"{key.name} ({key.external_id})"
                    if key.name != key.external_id
                    else key.external_id,
                )
                for key in keys
            ]
        self._api_key_ids = {key.external_id: key.pk for key in keys}

    @staticmethod
    def _extra_fields(data):
        """The form's fields besides the declared filters', the numeric and the live ones."""
        # The cursor holds a value of the sort's column; an unknown sort is an error of its
        # own, and the cursor is then read as created_at's.
        sort = (data or {}).get("sort") or DEFAULT_SORT
        sort_field = Generation._meta.get_field(sort_order(sort).column) if sort in SORTS else None
        return {
            "page_size": forms.IntegerField(
                required=False, min_value=1, max_value=MAX_PAGE_SIZE, label=_("Page size")
            ),
            "sort": forms.ChoiceField(choices=list(SORTS.items()), required=False, label=_("Sort")),
            "cursor": CursorField(required=False, max_length=64, sort_field=sort_field),
            "from": DateTimeInput(required=False, label=_("From")),
            "to": DateTimeInput(required=False, label=_("To")),
            "q": SearchField(),
        }

    def _facets(self, data, given_only):
        """(kind, value) of the model, provider and finish reason choices."""
        rows = Facet.objects.filter(account=self.account).order_by("kind", "value")
        if given_only:
            given = _given(data, Facet.Kind.values)
            if not given:
                return []
            rows = rows.filter(value__in=given)
        return rows.values_list("kind", "value")

    def _api_keys(self, data, given_only):
        keys = ApiKey.objects.filter(account=self.account).order_by("name", "external_id")
        if given_only:
            given = _given(data, ["api_key"])
            if not given:
                return []
            keys = keys.filter(external_id__in=given)
        return list(keys)

    def _noop(self, queryset, name, value):
        return queryset

    def _filter_api_keys(self, queryset, name, value):
        # By key id, from the account's keys read above (the choices, so an unknown id is
        # already a form error): a join on logs_apikey.external_id let PostgreSQL without
        # statistics hash the whole window and sort it (bench/README.md).
        if not value:
            return queryset
        return queryset.filter(api_key_id__in=[self._api_key_ids[v] for v in value])

    def filter_queryset(self, queryset, start=None, end=None):
        """The rows these filters leave in [start, end) (None: no bound), all but the text
        search: the window and how q is read are the list's state (logs.listing.state), which
        asks here through within()."""
        data = self.form.cleaned_data
        queryset = self._dimensions(queryset)
        if data.get("request_id"):
            queryset = queryset.public_id(data["request_id"].strip(), accounts=[self.account])
        if start is not None:
            queryset = queryset.since(start)
        if end is not None:
            queryset = queryset.until(end)
        return filter_numeric(queryset, data)

    def within(self, start, end):
        """filter_queryset of the whole queryset, in the window [start, end)."""
        return self.filter_queryset(self.queryset.all(), start, end)

    def _dimensions(self, queryset):
        data = self.form.cleaned_data
        for name in ("api_key", "provider", "model", "finish_reason"):
            if name in self.filters:  # not when given_only left it out
                queryset = self.filters[name].filter(queryset, data.get(name))
        return queryset

    def unwindowed_qs(self):
        """The rows these filters leave whatever their time: the key, provider, model and
        finish reason alone. logs.summary reads the part of an edge hour outside the window
        from them, where the rollups (which know no window either) answer."""
        return self._dimensions(self.queryset)

    def is_valid(self):
        if not super().is_valid():
            return False
        data = self.form.cleaned_data
        if data.get("from") and data.get("to") and data["from"] >= data["to"]:
            self.form.add_error("to", _("“To” must be after “From”."))
        for high, low in numeric_order_errors(data):
            self.form.add_error(high, _("Must be at least %(low)s.") % {"low": low})
        return not self.form.errors

    @property
    def numeric_filtered(self):
        """Whether a numeric bound narrows the list (0 included: cost_min=0 does)."""
        data = self.form.cleaned_data
        return any(data.get(p) is not None for p in NUMERIC_PARAMS)

    @property
    def numeric_pairs(self):
        """(label, min field, max field) of each numeric filter, for the filter bar."""
        return [
            (label, self.form[f"{name}_min"], self.form[f"{name}_max"])
            for name, (_column, label, _kind) in NUMERIC_FILTERS.items()
        ]

    @property
    def numeric_given(self):
        """How many numeric bounds the query string gives, valid or not."""
        return sum(1 for p in NUMERIC_PARAMS if (self.form[p].value() or "").strip())

    @property
    def numeric_errors(self):
        return any(p in self.form.errors for p in NUMERIC_PARAMS)

    @property
    def active(self):
        """Whether anything narrows the list beyond the default window."""
        data = self.form.cleaned_data
        keys = ("api_key", "request_id", "provider", "model", "finish_reason", "from", "to")
        return (
            any(data.get(k) for k in keys)
            or (data.get("range") or DEFAULT_RANGE) != "7d"
            or self.numeric_filtered
            or data.get("q") is not None
        )
