"""`labels` in every template: the words the log list's rows and their popovers repeat,
translated once a request. A page of rows renders them 50 to 200 times, and each
{% translate %} is a lookup of the request's language (an asgiref Local) and of the
catalogue: with the cost popover's, ~15 a row, ~7 ms of a 50-row page (bench/README.md,
"Live list polls at 10M"). The words stay marked for translation here, and the templates
read them as `{{ labels.cost }}`."""

from django.utils.translation import gettext_lazy as _

LABELS = {
    # logs/_row.html
    "input_tokens": _("Input tokens"),
    "input_tokens_title": _("Input Tokens"),
    "output_tokens": _("Output tokens"),
    "cost": _("Cost (USD)"),
    "latency": _("Latency (ms)"),
    "throughput": _("Throughput (tps)"),
    "details": _("Details"),
    "loading_cost": _("Loading the billing details…"),
    # logs/_cost_popover.html
    "subscription_note": _("Included in your subscription usage - no separate charge."),
    "billing_details": _("Billing details"),
    "not_charged": _("Estimated from the price table, not charged."),
    "fee_item": _("Fee item"),
    "rate": _("Rate"),
    "amount": _("Amount"),
    "total": _("Total"),
    "discount": _("Discount"),
    # billing/_charge.html
    "settled_by_gateway": _("Settled by the gateway"),
    "reward_credits": _("Reward Credits"),
    "purchased_credits": _("Purchased Credits"),
    "status": _("Status"),
    "settled": _("Settled"),
    "unpaid": _("Unpaid"),
    "no_charge": _("No charge recorded for this request."),
}


class Labels:
    """LABELS in the language active when a template first reads each: `labels.cost`.
    A name not in LABELS is a KeyError, which a template shows as nothing; the tests of
    each page read its words."""

    def __init__(self):
        self._read = {}

    def __getitem__(self, name):
        text = self._read.get(name)
        if text is None:
            text = self._read[name] = str(LABELS[name])
        return text


def labels(request):
    return {"labels": Labels()}
