"""`Domain`, the record's description of where an op is defined and smooth."""

import math

import pytest

from autograd import ops
from autograd.domain import GAP, Domain


def test_a_domain_admits_points_inside_and_away_from_its_kinks():
    d = Domain(-1.0, 1.0, kinks=(0.0,))
    assert d.admits(0.5) and not d.admits(0.0) and not d.admits(1.0) and not d.admits(-2.0)
    assert not d.admits(GAP / 2) and d.admits(2 * GAP)


@pytest.mark.parametrize(
    ("kwargs", "error", "pattern"),
    [
        ({"kinks": None}, TypeError, r"kinks must be a sequence of numbers.*kinks=\(\)"),
        ({"kinks": 0.0}, TypeError, "kinks must be a sequence"),
        ({"kinks": "0"}, TypeError, "kinks must be a sequence"),
        ({"kinks": (math.inf,)}, TypeError, "finite"),
        ({"lo": "0"}, TypeError, "lo must be a real number"),
        ({"lo": 1.0, "hi": 1.0}, ValueError, "lo < hi"),
    ],
)
def test_bad_domains_are_refused_naming_the_argument(kwargs, error, pattern):
    with pytest.raises(error, match=pattern):
        Domain(**kwargs)


def test_every_op_of_the_table_has_one_domain_per_operand():
    for op in ops.BUILTIN_OPS:
        assert len(op.domains) == op.arity and all(isinstance(d, Domain) for d in op.domains), op
