"""Composable constraints: one small class each, ``compile`` (cvxpy) and ``check`` (user units)."""

from hedgeopt.constraints.base import Constraint, LinearConstraint, LinearForm
from hedgeopt.constraints.beta import Beta
from hedgeopt.constraints.budget import Budget
from hedgeopt.constraints.cardinality import MaxNames, MinPosition
from hedgeopt.constraints.custom import Custom
from hedgeopt.constraints.factors import FactorExposure
from hedgeopt.constraints.integer import IntegerConstraint
from hedgeopt.constraints.leverage import Leverage
from hedgeopt.constraints.lots import ShareLots
from hedgeopt.constraints.participation import MaxParticipation
from hedgeopt.constraints.positions import Bounds, Exclude, LongOnly
from hedgeopt.constraints.sectors import SectorCap
from hedgeopt.constraints.trading import MinTrade, Turnover
from hedgeopt.constraints.weights import MaxWeight

__all__ = [
    "Beta",
    "FactorExposure",
    "MaxParticipation",
    "MaxWeight",
    "Bounds",
    "Budget",
    "Constraint",
    "Custom",
    "Exclude",
    "IntegerConstraint",
    "Leverage",
    "LinearConstraint",
    "LinearForm",
    "LongOnly",
    "MaxNames",
    "MinPosition",
    "MinTrade",
    "SectorCap",
    "ShareLots",
    "Turnover",
]
