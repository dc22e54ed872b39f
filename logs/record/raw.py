"""A stored generation as the spec's raw metadata object (GET /api/v1/generation, the details
page, JSONL exports): keys the gateway did not send stay absent, extra keys come back as
they came."""

from .values import AMOUNT_FIELDS, amount_string, format_created_at, plain_number


def rating_responses(rating):
    out = {
        "billAmount": plain_number(rating.bill_amount),
        "discountAmount": plain_number(rating.discount_amount),
        "originAmount": plain_number(rating.origin_amount),
        "priceVersion": rating.price_version,
        "ratingDetails": [
            {
                "billAmount": plain_number(d["bill_amount"]),
                "discountAmount": plain_number(d["discount_amount"]),
                "feeItemCode": d["fee_item_code"],
                "originAmount": plain_number(d["origin_amount"]),
                "rate": plain_number(d["rate"]),
                **d.get("extra", {}),
            }
            for d in rating.details
        ],
        "serviceCode": rating.service_code,
    }
    out.update(rating.extra or {})
    return out


def to_raw_metadata(generation):
    """The spec's raw metadata object for a stored generation. Expects `rating` to be loaded
    or loadable; keys the gateway did not send stay absent."""
    g = generation
    out = {
        "generationId": g.generation_id,
        "accountId": g.account.external_id,
        "model": g.model_name,
        "modelSlug": g.model_slug,
        "apiKeyId": g.api_key.external_id,
        "providerSlug": g.provider_slug,
        "createdAt": format_created_at(g.created_at),
    }
    optional = {
        "generationTime": g.generation_time_ms,
        "latency": g.first_token_latency_ms,
        "moderationLatency": g.moderation_latency_ms,
        "streamed": g.streamed,
        "cancelled": g.cancelled,
        "throughput": None if g.throughput is None else f"{g.throughput:.2f}",
    }
    out.update({k: v for k, v in optional.items() if v is not None})
    out["nativeFeeTokens"] = g.fee_tokens()
    if g.native_tokens is not None:
        out["nativeTokens"] = g.native_tokens
    out["finishReason"] = g.finish_reason
    out["nativeFinishReason"] = g.native_finish_reason
    for key, attr in AMOUNT_FIELDS.items():
        out[key] = amount_string(getattr(g, attr))
    rating = getattr(g, "rating", None) if _has_rating(g) else None
    if rating is not None:
        out["ratingResponses"] = rating_responses(rating)
    if g.request_retry_times is not None:
        out["requestRetryTimes"] = g.request_retry_times
    if g.final_retry is not None:
        out["finalRetry"] = g.final_retry
    for key, value in (g.extra_metadata or {}).items():
        out.setdefault(key, value)
    return out


def _has_rating(generation):
    from billing.models import Rating

    try:
        generation.rating  # noqa: B018 - touching it is the test
    except Rating.DoesNotExist:
        return False
    return True
