"""A planned call as the gateway's raw metadata record: fee tokens, native usage, amounts."""

from logs.record.values import amount_string, plain_number

# -------------------------------------------------------------------------- metadata

FINISH = {
    # outcome: (OpenAI-compatible, Anthropic-compatible, Gemini native)
    "stop": ("stop", "end_turn", "STOP"),
    "tool": ("tool_calls", "tool_use", "STOP"),
    "length": ("length", "max_tokens", "MAX_TOKENS"),
}


def _finish_reasons(call):
    """(finishReason, nativeFinishReason): what the caller's API says, and what the
    provider's API said."""
    if call.outcome == "error":
        return "error", ""
    if call.outcome == "cancelled":
        return ("cancelled" if call.index % 3 else ""), ""
    openai, anthropic, google = FINISH[call.finish]
    native = {"anthropic": anthropic, "google": google}.get(call.model.api, openai)
    return (anthropic if call.anthropic_api else openai), native


def _throughput(call):
    # Output tokens per second as a 2-decimal string, rounded half up in integers: exact,
    # and cheaper than Decimal for a million records.
    hundredths = (call.output_total * 200_000 + call.generation_time) // (2 * call.generation_time)
    return f"{hundredths // 100}.{hundredths % 100:02d}"


def fee_tokens(call):
    provider, c = call.model.provider, call
    if provider == "anthropic":
        # The gateway's order, as in the spec's example.
        tokens = {
            "input_cache_write_5_min": c.input_cache_write_5_min,
            "completion": c.completion,
            "input_cache_read": c.input_cache_read,
            "input_cache_write_1_h": c.input_cache_write_1_h,
            "prompt": c.prompt,
        }
    else:
        tokens = {"prompt": c.prompt, "completion": c.completion}
        if provider not in ("mistralai", "meta-llama"):
            tokens["input_cache_read"] = c.input_cache_read
        if c.input_cache_write:
            tokens["input_cache_write"] = c.input_cache_write
    if c.internal_reasoning or (c.thinking and provider != "anthropic"):
        tokens["internal_reasoning"] = c.internal_reasoning
    for item in ("audio", "web_search", "image"):
        if getattr(c, item):
            tokens[item] = getattr(c, item)
    return tokens


def openai_usage(call):
    c = call
    prompt = c.prompt_total
    completion = c.output_total
    usage = {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "prompt_tokens_details": {"cached_tokens": c.input_cache_read, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": c.internal_reasoning,
            "audio_tokens": c.audio,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }
    provider = c.model.provider
    if provider == "deepseek":
        usage = {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
            "prompt_tokens_details": {"cached_tokens": c.input_cache_read},
            "prompt_cache_hit_tokens": c.input_cache_read,
            "prompt_cache_miss_tokens": c.prompt,
        }
        if c.internal_reasoning:
            usage["completion_tokens_details"] = {"reasoning_tokens": c.internal_reasoning}
    elif provider == "x-ai":
        usage["prompt_tokens_details"] = {
            "text_tokens": prompt,
            "audio_tokens": 0,
            "image_tokens": 0,
            "cached_tokens": c.input_cache_read,
        }
        usage["num_sources_used"] = c.web_search * 5
    elif provider in ("moonshotai", "mistralai", "meta-llama", "qwen"):
        usage = {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
        }
        if provider == "moonshotai" and c.input_cache_read:
            usage["cached_tokens"] = c.input_cache_read
        if provider == "qwen":
            usage["prompt_tokens_details"] = {"cached_tokens": c.input_cache_read}
    return usage


def anthropic_usage(call, *, output_tokens=None):
    c = call
    usage = {
        "input_tokens": c.prompt,
        "cache_creation_input_tokens": c.input_cache_write_5_min + c.input_cache_write_1_h,
        "cache_read_input_tokens": c.input_cache_read,
        "cache_creation": {
            "ephemeral_5m_input_tokens": c.input_cache_write_5_min,
            "ephemeral_1h_input_tokens": c.input_cache_write_1_h,
        },
        "output_tokens": c.output_total if output_tokens is None else output_tokens,
        "service_tier": "standard",
    }
    if c.web_search:
        usage["server_tool_use"] = {"web_search_requests": c.web_search}
    return usage


def google_usage(call):
    c = call
    usage = {
        "promptTokenCount": c.prompt_total,
        "candidatesTokenCount": c.completion,
        "totalTokenCount": c.prompt_total + c.output_total,
    }
    if c.input_cache_read:
        usage["cachedContentTokenCount"] = c.input_cache_read
    if c.internal_reasoning:
        usage["thoughtsTokenCount"] = c.internal_reasoning
    details = [{"modality": "TEXT", "tokenCount": c.prompt_total - c.image * 258}]
    if c.image:
        details.append({"modality": "IMAGE", "tokenCount": c.image * 258})
    usage["promptTokensDetails"] = details
    return usage


def _native_tokens(call):
    c = call
    if c.model.api == "anthropic":
        if c.anthropic_api:
            return anthropic_usage(c)
        # Through the OpenAI-compatible endpoint the gateway reports Anthropic usage in
        # OpenAI's shape, as in the spec's example.
        prompt = c.prompt_total
        return {
            "completion_tokens": c.output_total,
            "prompt_tokens": prompt,
            "total_tokens": prompt + c.output_total,
            "completion_tokens_details": {"reasoning_tokens": c.internal_reasoning},
            "prompt_tokens_details": {
                "ephemeral_1h_input_tokens": c.input_cache_write_1_h,
                "ephemeral_5m_input_tokens": c.input_cache_write_5_min,
                "cached_tokens": c.input_cache_read,
            },
        }
    if c.model.api == "google":
        return google_usage(c)
    return openai_usage(c)


def build_metadata(call, rating):
    c, model = call, call.model
    finish_reason, native_finish_reason = _finish_reasons(c)
    record = {
        "generationId": c.generation_id,
        "accountId": c.account.external_id,
        "model": model.name,
        "modelSlug": model.slug,
        "apiKeyId": c.key.external_id,
        "providerSlug": model.provider,
        "createdAt": c.created_at.isoformat(timespec="milliseconds"),
        "generationTime": c.generation_time,
        "latency": c.latency,
        "moderationLatency": c.moderation_latency,
        "streamed": c.streamed,
        "cancelled": c.outcome == "cancelled",
    }
    if c.outcome != "error":
        # A failed call produced nothing: its throughput is unknown, not zero.
        record["throughput"] = _throughput(c)
    record["nativeFeeTokens"] = fee_tokens(c)
    if c.outcome != "error":
        record["nativeTokens"] = _native_tokens(c)
    record["finishReason"] = finish_reason
    record["nativeFinishReason"] = native_finish_reason
    if rating is not None:
        record.update(_gateway_amounts(rating))
    record["requestRetryTimes"] = c.retries
    record["finalRetry"] = True
    return record


def _gateway_amounts(result):
    """A billing.rating result in the gateway's shape: amount strings at the top, JSON numbers
    inside ratingResponses, as in the spec's example."""
    bill = result.bill_amount
    return {
        "originAmount": amount_string(result.origin_amount),
        "billAmount": amount_string(bill),
        "discountAmount": amount_string(result.discount_amount),
        "realAmount": amount_string(bill),
        "nonpaymentAmount": "0",
        "ratingResponses": {
            "billAmount": plain_number(bill),
            "discountAmount": plain_number(result.discount_amount),
            "originAmount": plain_number(result.origin_amount),
            "priceVersion": result.price_version,
            "ratingDetails": [
                {
                    "billAmount": plain_number(line.bill_amount),
                    "discountAmount": plain_number(line.discount_amount),
                    "feeItemCode": line.fee_item_code,
                    "originAmount": plain_number(line.origin_amount),
                    "rate": plain_number(line.rate),
                }
                for line in result.lines
            ],
            "serviceCode": result.service_code,
        },
    }
