"""Names a package gives that are imported from its modules on first use (PEP 562), so importing the
package costs nothing until a name is asked for: ``python -m metrics --help`` imports no pandas."""
from __future__ import annotations

from importlib import import_module


def names_from(package: str, where: dict):
    """The module-level ``__getattr__`` of ``package`` giving each name of ``where`` (module, relative
    to the package -> the names it holds) from its module, imported when the name is first asked for
    (the value is then kept in the package's namespace, so the next lookup is a plain attribute)."""
    module_of = {name: module for module, names in where.items() for name in names}

    def __getattr__(name):
        module = module_of.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(import_module(f"{package}.{module}"), name)
        setattr(import_module(package), name, value)
        return value
    return __getattr__
