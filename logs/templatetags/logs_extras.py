"""Template filters for the details page's Pretty mode. They return Pygments HTML (escaped by
Pygments), Markdown sanitized by nh3 (logs.detail.markdown) or plain data for the template to
autoescape, never unsanitized markup built from a log."""

from django import template

from logs import search
from logs.detail.highlight import HighlightBudget, highlight_json_within, render_markdown_text
from logs.detail.markdown import render_markdown

register = template.Library()


def _budget(budget):
    # The details page gives each section one budget (logs.detail.sections.Section), so every
    # block rendered from its conversation shares one bound; without one (the partial rendered
    # on its own), each call gets a fresh default budget, still bounded per call.
    return budget if isinstance(budget, HighlightBudget) else HighlightBudget()


@register.simple_tag
def highlight_budget():
    """{% highlight_budget as budget %}: a fresh budget, for a conversation rendered without
    one from its section."""
    return HighlightBudget()


@register.filter
def segments(text, budget=None):
    """{% for seg in part.text|segments:budget %}: text and highlighted code blocks."""
    return render_markdown_text(text or "", _budget(budget))


@register.simple_tag
def markdown(text, budget=None, conversation=None):
    """{% markdown part.text budget conversation as md %}: md.html is the text rendered as
    Markdown, sanitized, with the search's terms marked; None for a text to show as plain
    text (md.note says why, when it is Markdown over the budget)."""
    query = getattr(conversation, "search_query", None)
    return render_markdown(text or "", _budget(budget), query)


@register.filter
def json_html(text, budget=None):
    """Highlighted JSON, or None when the budget is spent: the template then shows the text
    in a plain <pre>, autoescaped."""
    return highlight_json_within(text or "", _budget(budget))


@register.filter
def marked(text, conversation=None):
    """Plain text from a log with the list's search terms in <mark>, when the page was opened
    from a search (conversation.search_query); escaped here first, so the marks are the only
    markup. Without a search the text is returned as it is, for the template to autoescape."""
    query = getattr(conversation, "search_query", None)
    if query is None or text is None or text == "":
        return text
    return search.mark_text(text, query)


@register.filter
def marked_html(markup, conversation=None):
    """Pygments HTML (its own tags around escaped text) with the search terms in <mark>, or
    as it is without a search. Only Pygments' output comes here, never a log's text."""
    query = getattr(conversation, "search_query", None)
    if query is None or not markup:
        return markup
    return search.mark_html(markup, query)
