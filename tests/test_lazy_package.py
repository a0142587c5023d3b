"""A package whose ``__init__`` is deferred (restructuring_sim._lazy.defer_package_init) gives
its submodules at once and behaves as an ordinary import on first use of any other name; imports
made in ``lasting_imports`` run without the garbage collector and are frozen out of it."""

from conftest import python_stdout


def test_deferred_package_loads_submodule_alone_then_completes():
    code = (
        "import sys\n"
        "from restructuring_sim._lazy import defer_package_init\n"
        "defer_package_init('scipy.special')\n"
        "from scipy.special._ufuncs import ndtr\n"
        "print('scipy.special._support_alternative_backends' in sys.modules)\n"
        "import scipy.special\n"
        "from scipy.special import erf\n"
        "print(float(scipy.special.gamma(4.0)), float(erf(0.0)), float(ndtr(0.0)))\n"
        "print('scipy.special._support_alternative_backends' in sys.modules)\n"
        "defer_package_init('scipy.special')  # imported already: nothing happens\n"
        "print(sys.modules['scipy.special'] is scipy.special)\n"
    )
    out = python_stdout(code).split("\n")
    assert out[:4] == ["False", "6.0 0.0 0.5", "True", "True"]


def test_lasting_imports_pause_the_collector_and_freeze_what_they_import():
    code = (
        "import gc\n"
        "from restructuring_sim._lazy import lasting_imports\n"
        "with lasting_imports():\n"
        "    print(gc.isenabled())\n"
        "    import fractions\n"
        "print(gc.isenabled(), gc.get_freeze_count() > 0)\n"
        "gc.unfreeze()\n"
        "with lasting_imports():\n"
        "    import fractions\n"
        "print(gc.isenabled(), gc.get_freeze_count())\n"
    )
    out = python_stdout(code).split("\n")
    assert out[:3] == ["False", "True True", "True 0"]
