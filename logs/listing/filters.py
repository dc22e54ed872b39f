"""The log list's filters. Parameter names are part of the product's interface: range,
from, to, q, api_key, request_id, provider, model, finish_reason, page_size, cursor, sort, and
NAME_min / NAME_max for each NAME in NUMERIC_FILTERS."""

import datetime as dt

import django_filters
from django import forms
from django.conf import settings
from django.core.validators import MaxValueValidator
from django.utils import timezone

from logs import search
from logs.models import ApiKey, Facet, Generation
from logs.record.values import MAX_CREATED_AT, in_date_range
from zenlogs.keyset import CursorField, Order

RANGES = {
    "1h": dt.timedelta(hours=1),
    "24h": dt.timedelta(hours=24),
    "7d": dt.timedelta(days=7),
    "30d": dt.timedelta(days=30),
    "90d": dt.timedelta(days=90),
    "all": None,
}
RANGE_LABELS = {
    "1h": "Last hour",
    "24h": "Last 24 hours",
    "7d": "Last 7 days",
    "30d": "Last 30 days",
    "90d": "Last 90 days",
    "all": "All time",
}
DEFAULT_RANGE = "7d"
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
# The numeric filters, each an inclusive pair NAME_min / NAME_max: the column it bounds (the
# one the list shows under that label) and whether its values are Decimals or whole numbers.
NUMERIC_FILTERS = {
    "cost": ("bill_amount", "Cost (USD)", "decimal"),
    "latency": ("first_token_latency_ms", "Latency (ms)", "integer"),
    "generation_time": ("generation_time_ms", "Generation Time (ms)", "integer"),
    "input_tokens": ("input_tokens", "Input Tokens", "integer"),
    "output_tokens": ("output_tokens", "Output Tokens", "integer"),
    "throughput": ("throughput", "Throughput (tps)", "decimal"),
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
    "-created_at": "Newest first",
    "created_at": "Oldest first",
    "-cost": "Cost, highest first",
    "cost": "Cost, lowest first",
    "-latency": "Latency, highest first",
    "latency": "Latency, lowest first",
    "-generation_time": "Generation time, highest first",
    "-input_tokens": "Input tokens, most first",
    "-output_tokens": "Output tokens, most first",
    "-throughput": "Throughput, highest first",
}
DEFAULT_SORT = "-created_at"
# The list's columns whose header sorts it, by sort name.
SORTABLE_HEADERS = ("created_at", "input_tokens", "output_tokens", "cost", "latency", "throughput")


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
                "Enter a date and time like 2025-08-22T02:49 or 2025-08-22T02:49:18+00:00.",
                code="invalid",
            ) from None
        if parsed.tzinfo is None:
            parsed = timezone.make_aware(parsed, timezone.get_current_timezone())
        # The range ingestion accepts for createdAt (its end included, as `to` is exclusive):
        # further out, a zone's offset takes Python's datetime past year 1 or 9999 in the
        # window's arithmetic, and no generation is stored there anyway.
        if not in_date_range(parsed, end=MAX_CREATED_AT + dt.timedelta.resolution):
            raise forms.ValidationError(
                "Enter a date and time from 1970-01-01T00:00:00Z to 2200-01-01T00:00:00Z.",
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
        kwargs.setdefault("label", "Search")
        # No max_length here: parse_query names the limit in its own words.
        super().__init__(**kwargs)

    def clean(self, value):
        value = super().clean(value)
        try:
            return search.parse_query(value)
        except search.QueryError as error:
            raise forms.ValidationError(str(error)) from None


def numeric_fields():
    """{param: form field} for each NAME_min and NAME_max: Decimals for money and throughput
    (never floats), whole numbers for tokens and milliseconds, none negative."""
    fields = {}
    for name, (_column, label, kind) in NUMERIC_FILTERS.items():
        for end in ("min", "max"):
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
            field.label = f"{label} {end}"
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
    # range, request_id, from, to, page_size and cursor shape the window and the page
    # rather than filter a column; filter_queryset applies them.
    range = django_filters.ChoiceFilter(
        choices=list(RANGE_LABELS.items()), method="_noop", empty_label=None, label="Time"
    )
    api_key = django_filters.MultipleChoiceFilter(
        method="_filter_api_keys", label="API Keys", widget=forms.CheckboxSelectMultiple
    )
    request_id = django_filters.CharFilter(method="_noop", label="Request ID", max_length=64)
    # distinct=False: these filter columns of the row itself, so no join can repeat a row, and
    # django-filter's default SELECT DISTINCT would sort the whole window (1.2 s at 1M rows)
    # instead of reading 51 rows off the index.
    provider = django_filters.MultipleChoiceFilter(
        field_name="provider_slug",
        distinct=False,
        label="Provider",
        widget=forms.CheckboxSelectMultiple,
    )
    model = django_filters.MultipleChoiceFilter(
        field_name="model_slug", distinct=False, label="Model", widget=forms.CheckboxSelectMultiple
    )
    finish_reason = django_filters.MultipleChoiceFilter(
        field_name="finish_reason",
        distinct=False,
        label="Finish Reason",
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Generation
        fields: list = []

    def __init__(self, data=None, *args, account, **kwargs):
        self.account = account
        # How q is read, once .qs is built: None (no q), "ids" or "walk" (logs.search.apply).
        self.search_mode = None
        self.search_applied = None
        # The partial hours at the window's edges, read once for the summary strip and the
        # histogram alike (logs.summary.edge_totals): {(low, high): sums}.
        self.edge_totals = {}
        # One "now" for the list, its summary and the retention horizon, so they agree.
        self._now = timezone.now()
        if data is not None and not data.get("range"):
            # The default window is part of the state the form shows, so it is selected.
            data = data.copy()
            data["range"] = DEFAULT_RANGE
        super().__init__(data, *args, **kwargs)
        form_fields = self.form.fields
        form_fields["range"].required = False
        form_fields["page_size"] = forms.IntegerField(
            required=False, min_value=1, max_value=MAX_PAGE_SIZE, label="Page size"
        )
        form_fields["sort"] = forms.ChoiceField(
            choices=list(SORTS.items()), required=False, label="Sort"
        )
        # The cursor holds a value of the sort's column; an unknown sort is an error of its
        # own, and the cursor is then read as created_at's.
        sort = (data or {}).get("sort") or DEFAULT_SORT
        sort_field = Generation._meta.get_field(sort_order(sort).column) if sort in SORTS else None
        form_fields["cursor"] = CursorField(required=False, max_length=64, sort_field=sort_field)
        form_fields["from"] = DateTimeInput(required=False, label="From")
        form_fields["to"] = DateTimeInput(required=False, label="To")
        form_fields["q"] = SearchField()
        form_fields.update(numeric_fields())
        facets = {kind: [] for kind in Facet.Kind.values}
        facet_rows = Facet.objects.filter(account=account).order_by("kind", "value")
        for kind, value in facet_rows.values_list("kind", "value"):
            facets[kind].append((value, value))
        form_fields["model"].choices = facets["model"]
        form_fields["provider"].choices = facets["provider"]
        form_fields["finish_reason"].choices = facets["finish_reason"]
        keys = list(ApiKey.objects.filter(account=account).order_by("name", "external_id"))
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

    def _noop(self, queryset, name, value):
        return queryset

    def _filter_api_keys(self, queryset, name, value):
        # By key id, from the account's keys read above (the choices, so an unknown id is
        # already a form error): a join on logs_apikey.external_id let PostgreSQL without
        # statistics hash the whole window and sort it, 3.3 s at 10M rows.
        if not value:
            return queryset
        return queryset.filter(api_key_id__in=[self._api_key_ids[v] for v in value])

    def _asked_window(self):
        data = self.form.cleaned_data
        if data.get("request_id"):
            return None, None
        start, end = data.get("from"), data.get("to")
        if start or end:
            # In UTC, so the window's arithmetic is in real time: Python compares and
            # subtracts two times of one zone by their wall clocks, and 02:30 to 03:30 across
            # a skipped hour was an hour long though both are one instant (the histogram
            # then had no bar to divide among). Such a window is empty, not an error.
            return _utc(start), _utc(end)
        span = RANGES[data.get("range") or DEFAULT_RANGE]
        return (None if span is None else self._now - span), None

    @property
    def retention_days(self):
        return settings.LOG_RETENTION_DAYS

    @property
    def retention_horizon(self):
        """now - LOG_RETENTION_DAYS, or None when logs are kept forever."""
        days = self.retention_days
        return self._now - dt.timedelta(days=days) if days else None

    @property
    def clipped_to_retention(self):
        """Whether the window asked for reaches past the retention horizon."""
        horizon = self.retention_horizon
        start = self._asked_window()[0]
        return horizon is not None and (start is None or start < horizon)

    def clean_window(self):
        """(start, end) of the time window the filters ask for, in UTC; None for no bound.
        A request id finds its generation whatever the window, so it clears the window, but
        not the retention horizon: the start is never before it. Rows past the horizon are
        due to be pruned (until then they are still there) and the rollups of those hours are
        kept for billing, so list and summary alike stop at the horizon, and agree."""
        start, end = self._asked_window()
        if self.clipped_to_retention:
            start = self.retention_horizon
        return start, end

    def filter_queryset(self, queryset):
        data = self.form.cleaned_data
        queryset = self._dimensions(queryset)
        if data.get("request_id"):
            queryset = queryset.public_id(data["request_id"].strip(), accounts=[self.account])
        start, end = self.clean_window()
        if start is not None:
            queryset = queryset.since(start)
        if end is not None:
            queryset = queryset.until(end)
        queryset = filter_numeric(queryset, data)
        if data.get("q"):
            # Last: the text index is asked about the window alone, and its answer (ids, or
            # a per-row check) then meets every other filter (logs.search).
            applied = search.apply(queryset, data["q"], self.account.pk, start, end)
            queryset, self.search_mode = applied.queryset, applied.mode
            self.search_applied = applied
        return queryset

    def _dimensions(self, queryset):
        data = self.form.cleaned_data
        for name in ("api_key", "provider", "model", "finish_reason"):
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
            self.form.add_error("to", "“To” must be after “From”.")
        for high, low in numeric_order_errors(data):
            self.form.add_error(high, f"Must be at least {low}.")
        return not self.form.errors

    @property
    def page_size(self):
        return self.form.cleaned_data.get("page_size") or DEFAULT_PAGE_SIZE

    @property
    def cursor(self):
        return self.form.cleaned_data.get("cursor")

    @property
    def sort(self):
        return self.form.cleaned_data.get("sort") or DEFAULT_SORT

    @property
    def order(self):
        return sort_order(self.sort)

    @property
    def sort_param(self):
        """The sort the query string carries: None for the default."""
        return None if self.sort == DEFAULT_SORT else self.sort

    @property
    def sort_headers(self):
        """{name: {"sort": what its header's link asks for (None: the default), "aria":
        its aria-sort, "arrow"}} for each sortable column. A header sorts by its column,
        highest (newest) first; clicked again, lowest first where that is a sort, otherwise
        back to the default."""
        current = self.sort
        headers = {}
        for name in SORTABLE_HEADERS:
            following, aria, arrow = f"-{name}", "", ""
            if current == f"-{name}":
                following = name if name in SORTS else DEFAULT_SORT
                aria, arrow = "descending", "↓"
            elif current == name:
                aria, arrow = "ascending", "↑"
            headers[name] = {
                "sort": None if following == DEFAULT_SORT else following,
                "aria": aria,
                "arrow": arrow,
            }
        return headers

    @property
    def search_query(self):
        """The parsed q (a search.SearchQuery), or None."""
        return self.form.cleaned_data.get("q")

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
