"""The log list's column headers, as Django admin's result_headers draws a changelist's."""

from django import template

from logs.listing import live
from logs.listing.filters import DEFAULT_SORT, SORTS

register = template.Library()


# takes_context: the header's links are {% querystring %}s of the list's own request.
@register.inclusion_tag("logs/_sort_header.html", takes_context=True)
def sort_header(context, state, name, label, tz=None, num=False):
    """The header of the column `name` of the list in `state` (a ListState), a link that sorts
    by it: highest (newest) first; clicked again, lowest first where that is a sort, otherwise
    back to the default. The current sort's header carries its aria-sort and an arrow."""
    current = state.sort
    following, aria, arrow = f"-{name}", "", ""
    if current == f"-{name}":
        following = name if name in SORTS else DEFAULT_SORT
        aria, arrow = "descending", "↓"
    elif current == name:
        aria, arrow = "ascending", "↑"
    header = {
        "sort": None if following == DEFAULT_SORT else following,
        "aria": aria,
        "arrow": arrow,
    }
    # link_query: the list's query string without its empty and default parameters.
    return {"h": header, "label": label, "tz": tz, "num": num, "query": context.get("link_query")}


@register.filter
def live_sums(summary):
    """The summary strip's figures as a live page's polls send them back (logs.listing.live)."""
    return live.sums_text(summary)
