"""`netinit export --pytorch` checked without PyTorch: the generated module
runs against a small stand-in for `torch` written with numpy, whose
`load_state_dict` is strict like PyTorch's. The checkpoint netinit wrote
must load into it (every name and shape), and its `probabilities` must give
netinit's outputs to 1e-5; `forward` returns the logits before the last
softmax, as PyTorch's losses take them."""

import math
import sys
import types

import numpy as np
from safetensors.numpy import load_file


class Module:
    """The part of `torch.nn.Module` the generated code uses."""

    def __init__(self):
        object.__setattr__(self, "_children", {})

    def __setattr__(self, name, value):
        if isinstance(value, Module):
            self._children[name] = value
        object.__setattr__(self, name, value)

    def named_parameters(self, prefix=""):
        for name, parameter in getattr(self, "_parameters", {}).items():
            yield prefix + name, parameter
        for name, child in self._children.items():
            yield from child.named_parameters(f"{prefix}{name}.")

    def load_state_dict(self, state):
        own = dict(self.named_parameters())
        missing, unexpected = sorted(set(own) - set(state)), sorted(set(state) - set(own))
        if missing or unexpected:
            raise RuntimeError(f"strict load: missing {missing}, unexpected {unexpected}")
        for name, parameter in own.items():
            if parameter.shape != state[name].shape:
                raise RuntimeError(f"{name}: module {parameter.shape}, file {state[name].shape}")
            parameter[...] = state[name]

    def __call__(self, x):
        return self.forward(x)


class ModuleList(Module):
    def __init__(self, modules):
        super().__init__()
        self._list = list(modules)
        for index, module in enumerate(self._list):
            self._children[str(index)] = module

    def __getitem__(self, index):
        return self._list[index]


class Linear(Module):
    def __init__(self, inputs, outputs, bias=True):
        super().__init__()
        self._parameters = {"weight": np.zeros((outputs, inputs), dtype=np.float32)}
        if bias:
            self._parameters["bias"] = np.zeros(outputs, dtype=np.float32)

    def forward(self, x):
        return x @ self._parameters["weight"].T + self._parameters.get("bias", 0.0)


class LayerNorm(Module):
    """PyTorch's LayerNorm over the last dimension: the variance divided by N."""

    def __init__(self, features, eps=1e-5):
        super().__init__()
        self.eps = eps
        self._parameters = {
            "weight": np.ones(features, dtype=np.float32),
            "bias": np.zeros(features, dtype=np.float32),
        }

    def forward(self, x):
        mean = x.mean(axis=-1, keepdims=True)
        variance = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
        return (x - mean) / np.sqrt(variance + self.eps) * self._parameters["weight"] + self._parameters["bias"]


def softmax(x, dim):
    shifted = np.exp(x - x.max(axis=dim, keepdims=True))
    return shifted / shifted.sum(axis=dim, keepdims=True)


SELU_LAMBDA, SELU_ALPHA = 1.0507009873554805, 1.6732632423543772


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def elu(x, alpha=1.0):
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0.0)))


def fake_torch():
    """`torch` and `torch.nn.functional` as far as the exporter uses them:
    each function PyTorch has, under its PyTorch name and signature."""
    torch = types.ModuleType("torch")
    torch.relu = lambda x: np.maximum(x, 0.0)
    torch.tanh = np.tanh
    torch.sigmoid = sigmoid
    torch.selu = lambda x: SELU_LAMBDA * elu(x, SELU_ALPHA)
    torch.softmax = softmax
    nn = types.ModuleType("torch.nn")
    nn.Module, nn.ModuleList, nn.Linear, nn.LayerNorm = Module, ModuleList, Linear, LayerNorm
    functional = types.ModuleType("torch.nn.functional")
    functional.leaky_relu = lambda x, negative_slope=0.01: np.where(x > 0, x, negative_slope * x)
    functional.elu = elu
    functional.gelu = lambda x: 0.5 * x * (1.0 + np.vectorize(math.erf)(x / math.sqrt(2.0)))
    functional.silu = lambda x: x * sigmoid(x)
    functional.softplus = lambda x: np.logaddexp(0.0, x)
    nn.functional = functional
    torch.nn = nn
    sys.modules.update({"torch": torch, "torch.nn": nn, "torch.nn.functional": functional})


def load_module(path, class_name):
    namespace = {}
    with open(path) as source:
        exec(compile(source.read(), path, "exec"), namespace)
    return namespace[class_name]()


def main(directory):
    fake_torch()
    every = load_module(f"{directory}/every_module.py", "Every")
    every.load_state_dict(load_file(f"{directory}/every.safetensors"))
    rows = np.linspace(-2.0, 2.0, 32, dtype=np.float32).reshape(4, 8)
    output = every.probabilities(rows)
    assert output.shape == (4, 4) and np.all(np.isfinite(output)), output
    assert np.allclose(output.sum(axis=1), 1.0, atol=1e-5), output
    logits = every(rows)
    assert not np.allclose(logits.sum(axis=1), 1.0, atol=1e-3), logits
    assert np.allclose(softmax(logits, -1), output, atol=1e-6), (logits, output)

    model = load_module(f"{directory}/card_module.py", "Network")
    model.load_state_dict(load_file(f"{directory}/card.safetensors"))
    inputs = np.fromfile(f"{directory}/inputs.f32", dtype="<f4").reshape(-1, 784)
    expected = np.fromfile(f"{directory}/outputs.f32", dtype="<f4").reshape(-1, 10)
    difference = float(np.max(np.abs(model.probabilities(inputs) - expected)))
    assert difference < 1e-5, difference
    residual = load_module(f"{directory}/residual_module.py", "Residual")
    residual.load_state_dict(load_file(f"{directory}/residual.safetensors"))
    inputs = np.fromfile(f"{directory}/residual_inputs.f32", dtype="<f4").reshape(-1, 6).astype(np.float64)
    expected = np.fromfile(f"{directory}/residual_outputs.f32", dtype="<f4").reshape(-1, 3)
    residual_difference = float(np.max(np.abs(residual.probabilities(inputs) - expected)))
    assert residual_difference < 1e-5, residual_difference
    print(f"the exported modules load their checkpoints strictly (every activation runs, forward gives logits); "
          f"the card's probabilities within {difference:.1e}; the residual network's (pre-norm, shortcut, "
          f"nested blocks) within {residual_difference:.1e}")


if __name__ == "__main__":
    main(sys.argv[1])
