"""The survey metrics and the Satisfaction Index as plain arithmetic over counts and sums.

docs/metrics.md ("Satisfaction") states every formula here; the report computes the counts in
the database and only these divisions in Python.
"""

from collections.abc import Mapping

from django.core.exceptions import ImproperlyConfigured

CSAT_SCALE = range(1, 6)
CES_SCALE = range(1, 8)
NPS_SCALE = range(0, 11)
SATISFIED_MIN = 4  # CSAT 4 and 5 count as satisfied
LOW_CSAT_MAX = 2  # CSAT 1 and 2 open a follow-up
PROMOTER_MIN = 9  # NPS 9–10
DETRACTOR_MAX = 6  # NPS 0–6; they open a follow-up
COMPONENTS = ("csat", "nps", "ces")


def share(part: int, whole: int) -> float | None:
    """part ÷ whole × 100, unrounded; None when there is nothing to divide."""
    return 100 * part / whole if whole else None


def csat_percent(*, satisfied: int, responses: int) -> float | None:
    return share(satisfied, responses)


def net_promoter_score(*, promoters: int, detractors: int, responses: int) -> float | None:
    """% promoters − % detractors, from −100 to 100."""
    return 100 * (promoters - detractors) / responses if responses else None


def mean(total: float, count: int) -> float | None:
    return total / count if count else None


def index_components(
    *, csat_percent: float | None, nps: float | None, ces_mean: float | None
) -> dict[str, float | None]:
    """Each measure on a 0–100 scale where 100 is best."""
    return {
        "csat": csat_percent,
        "nps": None if nps is None else (nps + 100) / 2,
        "ces": None if ces_mean is None else (ces_mean - 1) / 6 * 100,
    }


def satisfaction_index(
    *,
    csat_percent: float | None,
    nps: float | None,
    ces_mean: float | None,
    weights: Mapping[str, float],
) -> float | None:
    """The weighted mean of the components that have answers, rounded to one decimal."""
    components = index_components(csat_percent=csat_percent, nps=nps, ces_mean=ces_mean)
    present = {name: value for name, value in components.items() if value is not None}
    weight = sum(weights[name] for name in present)
    if not weight:
        return None
    return round(sum(weights[name] * value for name, value in present.items()) / weight, 1)


def index_weights(raw: Mapping[str, float]) -> dict[str, float]:
    """The configured weights, checked: one non-negative number per measure, not all zero."""
    if set(raw) != set(COMPONENTS):
        raise ImproperlyConfigured(
            f"SATISFACTION_INDEX_WEIGHTS needs exactly {', '.join(COMPONENTS)}; got {sorted(raw)}."
        )
    weights = {name: float(raw[name]) for name in COMPONENTS}
    if any(w < 0 for w in weights.values()) or not any(weights.values()):
        raise ImproperlyConfigured("SATISFACTION_INDEX_WEIGHTS must be ≥ 0 and not all zero.")
    return weights
