"""The demo's records, built from a seed: `build_records` for load_demo, `spec_example` for
the spec's own example with stages to match."""

import bisect
import random
from datetime import datetime, timedelta
from pathlib import Path

from logs.record.codec import loads

from .catalog import ACCOUNTS, MODELS, MODELS_BY_SLUG
from .metadata import build_metadata, fee_tokens
from .plan import HOURLY, SHOWCASE, WEEKEND, Call, plan_call
from .scenarios import AGENT
from .stages import build_stages


def build_records(
    count,
    *,
    now,
    days=30,
    seed=42,
    with_payloads=True,
    payload_share=1.0,
    rate=None,
    start=0,
    stop=None,
):
    """Yields records `start` to `stop` (default: all `count`) in the gateway's raw metadata
    shape, oldest first, spread over the `days` before `now` and the last one a few seconds
    old. Any range can be built on its own and comes out the same, so the work can be split
    between processes. `rate(model_slug, fee_tokens, at)`, if given, rates every twentieth
    record as the gateway would (a billing.rating result or None); the others carry no
    amounts and are rated on arrival. With payloads, `payload_share` of the records (spread
    evenly, the showcase always among them) carry the four stages."""
    stop = count if stop is None else min(stop, count)
    timeline = _Timeline(now, days)
    rng = random.Random()
    for index in range(start, stop):
        # A random stream per record: a record never depends on the ones before it.
        rng.seed((seed << 40) + index)
        showcase = index - (count - len(SHOWCASE))
        show = SHOWCASE[showcase] if showcase >= 0 else None
        call = plan_call(rng, seed, index, timeline.time_of(rng, index, count), show)
        rating = None
        if rate is not None and index % 20 == 10:
            rating = rate(call.model.slug, fee_tokens(call), call.created_at)
        record = build_metadata(call, rating)
        if with_payloads and (show is not None or _carries_payloads(index, payload_share)):
            record["stages"] = build_stages(call, rng)
        yield record


def _carries_payloads(index, share):
    """Whether record `index` is among the `share` that carry stages: a fixed scramble of the
    index (Knuth's multiplicative hash), not the record's random stream, so the rest of the
    record comes out the same whatever the share."""
    if share >= 1:
        return True
    return (index * 2_654_435_761) % 2**32 < share * 2**32


class _Timeline:
    """Traffic over the period, hour by hour: quiet nights and weekends, and a slow growth
    so the newest days are the busiest. Record i of n lands at the (i + u)/n quantile of the
    traffic (u random), so records come out in time order, as a gateway sends them, with
    exactly the shape of the curve."""

    def __init__(self, now, days):
        self.now = now
        start = now - timedelta(days=days)
        span = (now - start).total_seconds()
        self.starts, self.lengths, self.cumulative = [], [], []
        total = 0.0
        hour = start.replace(minute=0, second=0, microsecond=0)
        while hour < now:
            begin, end = max(hour, start), min(hour + timedelta(hours=1), now)
            seconds = (end - begin).total_seconds()
            growth = 0.75 + 0.25 * (begin - start).total_seconds() / span
            weekday = WEEKEND if hour.weekday() >= 5 else 100
            total += HOURLY[hour.hour] * weekday * growth * seconds
            self.starts.append(begin)
            self.lengths.append(seconds)
            self.cumulative.append(total)
            hour += timedelta(hours=1)
        self.total = total

    def at(self, fraction):
        target = fraction * self.total
        k = min(bisect.bisect_right(self.cumulative, target), len(self.cumulative) - 1)
        before = self.cumulative[k - 1] if k else 0.0
        share = (target - before) / ((self.cumulative[k] - before) or 1.0)
        return self.starts[k] + timedelta(seconds=round(share * self.lengths[k], 3))

    def time_of(self, rng, index, count):
        # The newest record is a few seconds old, and every other one older than it.
        if index == count - 1:
            return self.now - timedelta(milliseconds=rng.randint(2_000, 29_000))
        return min(self.at((index + rng.random()) / count), self.now - timedelta(seconds=30))


# The spec's raw metadata example, kept in the repository: load_demo and the tests read it
# from here, so a fresh clone has everything it needs.
SPEC_EXAMPLE_PATH = (
    Path(__file__).resolve().parent.parent / "logs" / "fixtures" / "spec_example.json"
)


def spec_example(text, *, seed=42, with_payloads=True):
    """The spec's example record (numbers as Decimal, its ratingResponses kept), with stages
    that match it: an OpenAI-style streamed call to Claude Sonnet 4 ending in a tool call."""
    record = loads(text)
    if with_payloads:
        rng = random.Random(f"example:{seed}")
        account = next((a for a in ACCOUNTS if a.external_id == record["accountId"]), ACCOUNTS[0])
        key = next(
            (k for k in account.keys if k.external_id == record["apiKeyId"]), account.keys[0]
        )
        fee = record.get("nativeFeeTokens", {})
        call = Call(
            index=-1,
            generation_id=record["generationId"],
            account=account,
            key=key,
            model=MODELS_BY_SLUG.get(record["modelSlug"], MODELS[0]),
            created_at=datetime.fromisoformat(record["createdAt"]),
            streamed=bool(record.get("streamed")),
            outcome="ok",
            finish="tool",
            anthropic_api=False,
            scenario=AGENT,
            prompt=fee.get("prompt", 0),
            completion=fee.get("completion", 0),
            input_cache_read=fee.get("input_cache_read", 0),
            input_cache_write_5_min=fee.get("input_cache_write_5_min", 0),
            input_cache_write_1_h=fee.get("input_cache_write_1_h", 0),
            max_tokens=8192,
            generation_time=record.get("generationTime", 0),
            latency=record.get("latency", 0),
        )
        record["stages"] = build_stages(call, rng)
    return record
