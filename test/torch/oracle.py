"""PyTorch as the reference for Stride's exported networks (run with Debian's /usr/bin/python3).

    oracle.py < JOBS

One job a line on stdin, as JSON: {"network", "model", "weights", "input", "output", "batch", "seed",
"dtype"}, each handled as it arrives:

1. check the exported ONNX model with onnx.checker (full_check) and its interface (input `input`,
   [N, C, H, W] with a symbolic batch);
2. load its initializers by name into the network's hand-written module (networks.py), strict: every
   parameter and buffer must be there with its shape, and anything else must be one of the constants
   Stride makes itself for an op's ONNX form (CONSTANTS);
3. give the tensors Stride initialises to zeros or ones (biases; batchnorm's scale, shift and running
   statistics) seeded random values, so that a mistake in them shows, and write the module's state_dict
   as a .safetensors file for `stride run --weights`;
4. write a seeded uniform [0, 1) input of the job's batch, and the module's output for it, as float32
   .npy. The output is computed in float64 unless the job asks for float32 (the largest networks, whose
   float64 convolutions are too slow on a CPU; there float32 and float64 agree to about 1e-6).

The first line on stdout gives the versions (or, if torch or onnx cannot be imported, {"import_error"}),
then one JSON line per job: {"network", "ok", "problems": [...], "stages": {step: seconds}, ...}.
"""

import contextlib
import json
import sys
import time
import traceback
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

try:
    import numpy as np
    import onnx
    import torch
    from onnx import numpy_helper
except Exception as e:  # ImportError, or OSError for a missing shared library: the test says how to install them
    print(json.dumps({'import_error': f'{type(e).__name__}: {e}'}), flush=True)
    sys.exit(3)

from networks import NETWORKS, BatchNorm2d  # noqa: E402
from modern import PERTURBED  # noqa: E402

warnings.filterwarnings('ignore', message='The given NumPy array is not writable')

# Tensors Stride makes itself for an op's ONNX form, not parameters of the PyTorch module: the layer op
# (the last part of the layer name, without its number) and the tensor's name.
CONSTANTS = {
    'relu6': {'min': 0.0, 'max': 6.0},  # Clip bounds
    'upsample': {'scales': None},  # Resize scales
    'adaptiveavgpool': {'bins_h': None, 'bins_w': None},  # averaging matrices of uneven bins
    'gelu': {'sqrt2': None, 'one': None, 'half': None},  # its definition before opset 20
    'prelu': {'axes': None},  # Unsqueeze axes of the per-channel slope
    'layernorm': {'one': None, 'zero': None},  # without affine parameters
    'groupnorm': {'groups_shape': None, 'one': None, 'zero': None, 'axes': None},  # its instance-norm form
    'instancenorm': {'one': None, 'zero': None},
    'pad': {'pads': None, 'axes': None},
    'shuffle': {'grouped_shape': None, 'shape': None},
    'split': {'starts': None, 'ends': None, 'axes': None},
}


def constant_kind(name):
    layer, _, tensor = name.rpartition('.')
    op = layer.rpartition('.')[2].rpartition('_')[0]
    return CONSTANTS.get(op, {}), tensor


@contextlib.contextmanager
def uninitialised():
    """Modules built without PyTorch's random initialisation: every tensor is loaded from the model next."""
    saved = {name: getattr(torch.nn.init, name) for name in ('kaiming_uniform_', 'uniform_', 'normal_')}
    for name in saved:
        setattr(torch.nn.init, name, lambda tensor, *args, **kwargs: tensor)
    try:
        yield
    finally:
        for name, f in saved.items():
            setattr(torch.nn.init, name, f)


def perturb(module, rng):
    """Seeded values for what Stride initialises to zeros or ones, in ranges that keep activations O(1)."""
    with torch.no_grad():
        for m in module.modules():
            if isinstance(m, BatchNorm2d):
                c = m.num_features
                values = {'weight': (0.5, 1.5), 'bias': (-0.2, 0.2), 'running_mean': (-0.2, 0.2), 'running_var': (0.5, 1.5)}
            elif isinstance(m, (torch.nn.Conv2d, torch.nn.ConvTranspose2d, torch.nn.Linear)) and m.bias is not None:
                c = m.bias.shape[0]
                values = {'bias': (-0.1, 0.1)}
            else:
                values = next((v for cls, v in PERTURBED if isinstance(m, cls)), None)
                if values is None or getattr(m, 'weight', None) is None:
                    continue
            for tensor, (low, high) in values.items():
                t = getattr(m, tensor)
                t.copy_(torch.from_numpy(rng.uniform(low, high, tuple(t.shape))))


def write_safetensors(path, state):
    """A .safetensors file (the format: an 8-byte little-endian header size, a JSON header of name →
    dtype, shape and byte range, then the raw little-endian data), float32."""
    arrays = {k: np.ascontiguousarray(v.detach().numpy(), dtype='<f4') for k, v in state.items()}
    header, offset = {}, 0
    for k, a in arrays.items():
        header[k] = {'dtype': 'F32', 'shape': list(a.shape), 'data_offsets': [offset, offset + a.nbytes]}
        offset += a.nbytes
    text = json.dumps(header).encode()
    text += b' ' * (-len(text) % 8)
    with open(path, 'wb') as f:
        f.write(len(text).to_bytes(8, 'little'))
        f.write(text)
        for a in arrays.values():
            f.write(a.data)


def dims(value_info):
    return [d.dim_param or d.dim_value for d in value_info.type.tensor_type.shape.dim]


def run(job):
    name = job['network']
    result = {'network': name, 'problems': [], 'stages': {}}
    problems = result['problems']
    clock = [time.perf_counter()]

    def stage(what):
        now = time.perf_counter()
        result['stages'][what] = round(now - clock[0], 2)
        clock[0] = now

    if name not in NETWORKS:
        problems.append(f'no PyTorch module for network {name}: write one in test/torch/networks.py')
        return result
    with uninitialised():
        module = NETWORKS[name][1]()
    module.eval()
    stage('module')

    model = onnx.load(job['model'])
    stage('load')
    result['opset'] = [o.version for o in model.opset_import if o.domain in ('', 'ai.onnx')]
    try:
        onnx.checker.check_model(model, full_check=True)
    except Exception as e:  # onnx.checker.ValidationError, shape inference errors
        problems.append(f'onnx.checker: {type(e).__name__}: {str(e).strip()}')
    stage('checker')

    # The model's interface: NCHW with a symbolic batch.
    inp = module.input
    got_in = dims(model.graph.input[0])
    if model.graph.input[0].name != 'input' or got_in != ['N', *inp]:
        problems.append(f'model input {model.graph.input[0].name} {got_in}, expected input {["N", *inp]}')

    # Weights by name: everything but Stride's own constants must be the module's state_dict, exactly.
    initializers = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    state = module.state_dict()
    loaded = {}
    for key, array in initializers.items():
        if key in state:
            if list(array.shape) != list(state[key].shape):
                problems.append(f'{key} is {list(array.shape)} in the model, {list(state[key].shape)} in PyTorch')
            else:
                loaded[key] = torch.from_numpy(array)  # read only: load_state_dict copies it
            continue
        kind, tensor = constant_kind(key)
        if tensor not in kind:
            problems.append(f'unexpected initializer {key} {list(array.shape)}: not a parameter of the PyTorch module nor a known constant')
        elif kind[tensor] is not None and not np.allclose(array, kind[tensor]):
            problems.append(f'constant {key} is {array.tolist()}, expected {kind[tensor]}')
    missing = [k for k in state if k not in initializers]
    if missing:
        problems.append(f'missing from the model: {", ".join(missing[:8])}{" …" if len(missing) > 8 else ""} ({len(missing)})')
    if problems and (missing or len(loaded) != len(state)):
        return result
    module.load_state_dict(loaded, strict=True)
    stage('weights')

    # The weights for `stride run --weights`, by name: the module's state_dict as it is now.
    perturb(module, np.random.default_rng(job['seed']))
    write_safetensors(job['weights'], module.state_dict())
    stage('write')

    rng = np.random.default_rng(job['seed'] + 1)
    x = rng.uniform(0.0, 1.0, (job['batch'], *inp)).astype(np.float32)
    np.save(job['input'], x)
    dtype = torch.float64 if job.get('dtype', 'float64') == 'float64' else torch.float32
    with torch.no_grad():
        y = module.to(dtype)(torch.from_numpy(x).to(dtype))
    stage('forward')
    out = y.numpy().astype(np.float32)
    np.save(job['output'], out)
    result['output_shape'] = list(out.shape)
    got_out = dims(model.graph.output[0])
    if got_out != ['N', *out.shape[1:]]:
        problems.append(f'model output {model.graph.output[0].name} {got_out}, PyTorch gives {["N", *out.shape[1:]]}')
    return result


def main():
    print(json.dumps({'torch': torch.__version__, 'onnx': onnx.__version__}), flush=True)
    for line in sys.stdin:
        if not line.strip():
            continue
        job = json.loads(line)
        start = time.perf_counter()
        try:
            result = run(job)
        except Exception:
            result = {'network': job['network'], 'problems': [traceback.format_exc().strip()]}
        result['ok'] = not result['problems']
        result['seconds'] = round(time.perf_counter() - start, 2)
        print(json.dumps(result), flush=True)


if __name__ == '__main__':
    main()
