"""What the details page shows of a generation's stages: which hop each section reads, the
body bounded in size, highlighted within a budget, and the pretty conversation."""

import json
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models.functions import Substr
from django.utils.translation import gettext as _

from logs.detail.highlight import HighlightBudget, highlight_json
from logs.formats import parse_request, parse_response
from logs.models import SECTIONS, Stage, StagePayload
from logs.record.codec import dumps

# Highlighting is the slow part of the page: Pygments past this many characters per body
# costs more than it helps, so the rest shows as plain (escaped) text.
HIGHLIGHT_LIMIT = 100_000


@dataclass
class Section:
    key: str
    title: str
    param: str
    stage: str
    stage_label: str
    choices: list
    payload: StagePayload | None = None
    headers_html: str = ""
    body_html: str = ""
    body_text: str = ""
    conversation: object = None
    notes: list = field(default_factory=list)
    too_large: bool = False
    # What the page says when this hop has no payload.
    missing_note: str = "not captured."
    # Characters of syntax highlighting left for everything Pretty mode renders from this
    # section's conversation (the template passes it to the logs_extras filters), so one
    # page's highlighting work stays bounded.
    highlight_budget: HighlightBudget = field(default_factory=HighlightBudget, repr=False)

    @property
    def captured(self):
        return self.payload is not None


def load_stages(generation):
    """Every captured stage of the generation, each body cut to the display limit in the
    database, so a 10 MB body never crosses the wire to show its first megabyte."""
    limit = settings.DETAIL_MAX_BODY_BYTES
    payloads = (
        StagePayload.objects.of(generation).defer("body").annotate(head=Substr("body", 1, limit))
    )
    return {p.stage: p for p in payloads}


# An app-side span sees the app's request and answer, never the hops behind the provider's
# endpoint.
_OTEL_UNSEEN = (Stage.ORIGIN_REQUEST, Stage.ORIGIN_RESPONSE)


def build_section(key, stages, chosen, view, via_opentelemetry=False):
    title, param, options = SECTIONS[key]
    if chosen not in options:
        # The user's own hop first; the upstream hop when the gateway didn't capture it.
        chosen = next((s for s in options if s in stages), options[0])
    labels = dict(Stage.choices)
    section = Section(
        key=key, title=title, param=param, stage=chosen, stage_label=labels[chosen],
        choices=[(s, labels[s], s in stages) for s in options], payload=stages.get(chosen),
    )  # fmt: skip
    payload = section.payload
    if payload is None:
        if via_opentelemetry:
            section.missing_note = (
                _("not captured by OpenTelemetry.")
                if chosen in _OTEL_UNSEEN
                else _(
                    "not captured: the app's instrumentation sent no message content "
                    "(OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT)."
                )
            )
        return section
    limit = settings.DETAIL_MAX_BODY_BYTES
    section.too_large = payload.size_bytes > limit or payload.truncated
    if payload.truncated:
        section.notes.append(
            _("The gateway sent %(size)s bytes; it was stored cut at the ingestion limit.")
            % {"size": f"{payload.size_bytes:,}"}
        )
    elif section.too_large:
        section.notes.append(
            _("This body is %(size)s bytes; showing the first %(limit)s.")
            % {"size": f"{payload.size_bytes:,}", "limit": f"{limit:,}"}
        )
    if view == "pretty":
        if payload.body_format == StagePayload.BodyFormat.NONE:
            section.notes.append(_("This stage was captured without a body."))
        elif section.too_large:
            section.notes.append(_("Too large for Pretty mode: shown as raw text below."))
            section.body_text = payload.head
        else:
            parse = parse_request if key == "request" else parse_response
            section.conversation = parse(payload.head, payload.body_format)
            if section.conversation is None:
                section.notes.append(
                    _("Not a format Pretty mode knows (or not well-formed): showing it raw.")
                )
                _raw_body(section, payload)
        return section
    section.headers_html = highlight_json(dumps(payload.headers, indent=2), HIGHLIGHT_LIMIT)
    _raw_body(section, payload)
    return section


def _raw_body(section, payload):
    text = payload.head
    if payload.body_format == StagePayload.BodyFormat.JSON and not section.too_large:
        try:
            text = json.dumps(json.loads(text), indent=2, ensure_ascii=False)
        except (ValueError, RecursionError):
            section.notes.append(_("The body is not well-formed JSON: shown as text."))
            section.body_text = text
            return
        if len(text) <= HIGHLIGHT_LIMIT:
            section.body_html = highlight_json(text, HIGHLIGHT_LIMIT)
            return
        section.notes.append(
            _("Highlighting stops at %(limit)s characters.") % {"limit": f"{HIGHLIGHT_LIMIT:,}"}
        )
        section.body_html = highlight_json(text[:HIGHLIGHT_LIMIT], HIGHLIGHT_LIMIT)
        section.body_text = text[HIGHLIGHT_LIMIT:]
        return
    section.body_text = text
