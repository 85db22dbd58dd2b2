"""README.md documents what the code does: the two commands first, and every
environment variable that paraph/settings.py reads."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
TWO_COMMANDS = """# Paraph

```
make run     # the product with demo data, SQLite and local sandboxes, at http://127.0.0.1:8000
make test    # installs what the tests need, then lint, type checks and every test
```
"""


def settings_variables() -> set[str]:
    source = (ROOT / "paraph" / "settings.py").read_text()
    names = set(
        re.findall(r"env_(?:str|bool|int|list|mandatory)\(\s*\"([A-Z][A-Z0-9_]*)\"", source)
    )
    # a renamed variable, and the old names still read for one release
    for name, old_names in re.findall(
        r"env_list_renamed\(\s*\"([A-Z][A-Z0-9_]*)\",\s*\(([^)]*)\)", source
    ):
        names.add(name)
        names.update(re.findall(r"\"([A-Z][A-Z0-9_]*)\"", old_names))
    return names


def test_the_readme_starts_with_the_two_commands():
    assert (ROOT / "README.md").read_text().startswith(TWO_COMMANDS)


def test_every_environment_variable_is_in_the_readmes_settings_table():
    readme = (ROOT / "README.md").read_text()
    documented = set(re.findall(r"^\| `([A-Z][A-Z0-9_]*)` \|", readme, flags=re.MULTILINE))
    variables = settings_variables()

    assert len(variables) > 40  # the pattern still finds them
    assert variables - documented == set(), "add these to README.md, section Settings"
    assert documented - variables == set(), "README.md documents variables nobody reads"
