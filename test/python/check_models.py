"""Checks ONNX models with the onnx package's own checker (full check: strict shape inference).

Usage: check_models.py MODEL.onnx...  Prints one JSON line per model: {"file", "ok", "error"}.
"""
import json
import sys

import onnx

for path in sys.argv[1:]:
    try:
        onnx.checker.check_model(onnx.load(path), full_check=True)
        print(json.dumps({"file": path, "ok": True}))
    except Exception as e:  # the checker raises several kinds; each is a finding about this model
        print(json.dumps({"file": path, "ok": False, "error": str(e).splitlines()[0][:500]}))
