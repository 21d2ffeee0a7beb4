"""Runs layers exported by torchModuleSource (export-torch.ts) for export-torch.test.ts.

Reads JSON cases on stdin; for each, loads the module file, sets its parameters and moving
averages, and returns the training-mode output and moving averages and the eval-mode output, in
the dtype asked for, as JSON on stdout.
"""
import importlib.util
import json
import sys

import torch


def load(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run(case, dtype):
    module = load(case["file"], case["module"])
    n, c, h, w = case["shape"]
    layer = getattr(module, case["className"])(c, groups=case["groups"])
    layer = layer.to(dtype)
    with torch.no_grad():
        for key in ("v0", "v1", "gamma", "beta"):
            getattr(layer, key).copy_(torch.tensor(case["params"][key], dtype=dtype))

        def reset():
            for node_id, values in case["state"].items():
                getattr(layer, "moving" + node_id).copy_(torch.tensor(values, dtype=dtype))

        x = torch.tensor(case["x"], dtype=dtype).reshape(n, c, h, w)
        reset()
        layer.train()
        y_train = layer(x)
        state = {node_id: getattr(layer, "moving" + node_id).tolist() for node_id in case["state"]}
        reset()
        layer.eval()
        y_eval = layer(x)
    return {"train": y_train.reshape(-1).tolist(), "state": state, "eval": y_eval.reshape(-1).tolist()}


def main():
    cases = json.load(sys.stdin)
    out = []
    for case in cases:
        out.append({"float64": run(case, torch.float64), "float32": run(case, torch.float32)})
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
