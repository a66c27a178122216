"""Checks the .py files `stride export --format pytorch` writes (test/pytorch-export.test.ts).

One job a line on stdin (JSON: network, py, model, weights, input, output, names, params); for each:
import the .py, build its network class, check that state_dict() keys are exactly Stride's weight names
(`names`: the ONNX initializers less Stride's constants) and that the parameters add up to Stride's
trainable count; load the ONNX model's weights by name, strictly, with the biases, norms and slopes
Stride starts at zeros and ones given seeded values (written as a .safetensors file for `stride run`);
run the seeded input in eval mode and write the output as .npy. One result a line on stdout.
"""

import importlib.util
import json
import sys

import numpy as np
import onnx
import torch
from onnx import numpy_helper

from oracle import write_safetensors  # noqa: E402  (one writer of the format for every oracle)


def run(job):
    problems = []
    spec = importlib.util.spec_from_file_location(f"exported_{job['network']}", job['py'])
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    net = getattr(module, job['cls'])()
    keys = list(net.state_dict().keys())
    names = job['names']
    if sorted(keys) != sorted(names):
        problems.append(f'state_dict keys differ: only in PyTorch {sorted(set(keys) - set(names))[:8]}, only in Stride {sorted(set(names) - set(keys))[:8]}')
    count = sum(p.numel() for p in net.parameters())
    if count != job['params']:
        problems.append(f"{count} parameters in PyTorch, {job['params']} in Stride")
    model = onnx.load(job['model'])
    rng = np.random.default_rng(1)
    state = {}
    for init in model.graph.initializer:
        if init.name not in names:
            continue
        a = numpy_helper.to_array(init).astype(np.float32)
        if a.ndim == 1 or (a.ndim == 3 and a.shape[1:] == (1, 1)):
            # Biases, norms, slopes and scales: seeded values, so that a mistake in them shows.
            a = a * rng.uniform(0.5, 1.5, a.shape).astype(np.float32)
            if not init.name.endswith('running_var'):
                a = a + rng.uniform(-0.2, 0.2, a.shape).astype(np.float32)
        state[init.name] = torch.from_numpy(a)
    if not problems:
        try:
            net.load_state_dict(state, strict=True)
        except Exception as e:
            problems.append(f'load_state_dict: {str(e).strip()[:2000]}')
    write_safetensors(job['weights'], state)
    x = torch.from_numpy(np.load(job['input']))
    net.eval()
    with torch.no_grad():
        y = net(x)
    np.save(job['output'], y.numpy().astype(np.float32))
    return {'network': job['network'], 'ok': not problems, 'problems': problems, 'shape': list(y.shape)}


def main():
    torch.set_num_threads(1)
    print(json.dumps({'torch': torch.__version__}), flush=True)
    for line in sys.stdin:
        job = json.loads(line)
        try:
            result = run(job)
        except Exception as e:
            result = {'network': job['network'], 'ok': False, 'problems': [f'{type(e).__name__}: {e}']}
        print(json.dumps(result), flush=True)


main()
