"""Drop-in tests: the built wheel in fresh virtualenvs, used the way a user meets it.

Nothing here imports ``g4f_qwen_spaces`` in the test process; every check runs
in a subprocess of a venv where only ``pip install <wheel> g4f==<version>``
happened (see :mod:`tests.dropin.harness`).
"""
