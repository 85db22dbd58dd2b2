"""Services take a small context (who acts, from where, in which language),
never the request: sessions, cookies and redirects stay in views (ADR 37).
Every function of every services module is read here; a parameter named
``request`` or typed ``HttpRequest`` fails the test."""

from __future__ import annotations

import importlib
import inspect
from pathlib import Path

import paraph


def _services_modules() -> list[str]:
    root = Path(paraph.__file__).parent
    found = []
    for path in sorted(root.glob("**/services.py")) + sorted(root.glob("**/services/*.py")):
        if "tests" in path.parts:
            continue
        dotted = ".".join(path.relative_to(root.parent).with_suffix("").parts)
        found.append(dotted.removesuffix(".__init__"))
    return found


def _functions(module):
    for _name, value in vars(module).items():
        if inspect.isfunction(value) and value.__module__ == module.__name__:
            yield value
        elif inspect.isclass(value) and value.__module__ == module.__name__:
            for member in vars(value).values():
                if inspect.isfunction(member):
                    yield member


def test_the_services_modules_are_found():
    modules = _services_modules()
    assert "paraph.contracts.services.lifecycle" in modules
    assert "paraph.mandates.services" in modules
    assert len(modules) > 20


def test_no_service_takes_the_request():
    taking = []
    for dotted in _services_modules():
        module = importlib.import_module(dotted)
        for function in _functions(module):
            for parameter in inspect.signature(function).parameters.values():
                annotation = str(parameter.annotation)
                if parameter.name == "request" or "HttpRequest" in annotation:
                    taking.append(f"{dotted}.{function.__qualname__}({parameter.name})")
    assert taking == []
