"""The committed type stub of Value is the one the op table gives (`python -m autograd.stubs`)."""

from autograd import ops
from autograd.stubs import STUB, value_stub
from autograd.value import Value


def test_the_committed_stub_is_up_to_date():
    assert STUB.read_text() == value_stub(), "run `python -m autograd.stubs` and commit autograd/value.pyi"


def test_the_stub_declares_every_method_the_table_gives_value():
    stub = value_stub()
    for op in ops.TABLE:
        if op.method and op.arity:
            assert f"def {op.method}(" in stub
            assert callable(getattr(Value, op.method))
