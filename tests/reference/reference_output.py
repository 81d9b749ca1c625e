"""Where and how every reference script writes its JSON: to the path given as the first argument,
"-" for stdout, by default `<name>` beside the scripts; indented, with a final newline, so that a
rerun gives a byte-identical file."""

import json
import os
import sys


def write(doc, name):
    """Writes `doc` as the script's output (see the module docstring)."""
    default = os.path.join(os.path.dirname(os.path.abspath(__file__)), name)
    path = sys.argv[1] if len(sys.argv) > 1 else default
    text = json.dumps(doc, indent=1) + "\n"
    if path == "-":
        sys.stdout.write(text)
    else:
        with open(path, "w") as f:
            f.write(text)
