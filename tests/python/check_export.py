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
        elif isinstance(value, np.ndarray):
            # An `nn.Parameter` assigned as an attribute is a parameter.
            if "_parameters" not in self.__dict__:
                object.__setattr__(self, "_parameters", {})
            self._parameters[name] = value
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


class RMSNorm(Module):
    """PyTorch's RMSNorm over the last dimension."""

    def __init__(self, features, eps=1e-5):
        super().__init__()
        self.eps = eps
        self._parameters = {"weight": np.ones(features, dtype=np.float32)}

    def forward(self, x):
        return x / np.sqrt((x**2).mean(axis=-1, keepdims=True) + self.eps) * self._parameters["weight"]


class Embedding(Module):
    """PyTorch's Embedding: rows of the table looked up by integer ids."""

    def __init__(self, rows, features):
        super().__init__()
        self._parameters = {"weight": np.zeros((rows, features), dtype=np.float32)}

    def forward(self, ids):
        assert ids.dtype == np.int64, ids.dtype
        return self._parameters["weight"][ids]


def scaled_dot_product_attention(q, k, v, is_causal=False):
    """PyTorch's F.scaled_dot_product_attention: softmax(q kᵀ / √d) v over the
    last two dimensions, a causal mask hiding the keys after each query."""
    scores = q @ np.swapaxes(k, -1, -2) / math.sqrt(q.shape[-1])
    if is_causal:
        t = scores.shape[-1]
        scores = np.where(np.tril(np.ones((t, t), dtype=bool)), scores, -np.inf)
    return softmax(scores, -1) @ v


def unfold(x, kernel_size, stride):
    """PyTorch's F.unfold for square, non-overlapping windows: (n, C·k·k, L),
    each column a window's values in (C, row, column) order, windows row-major."""
    assert kernel_size == stride
    n, c, h, w = x.shape
    k = kernel_size
    blocks = x.reshape(n, c, h // k, k, w // k, k).transpose(0, 1, 3, 5, 2, 4)
    return blocks.reshape(n, c * k * k, (h // k) * (w // k))


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
    torch.long = np.int64
    torch.as_tensor = lambda x, dtype: np.asarray(x).astype(dtype)
    torch.reshape = np.reshape
    torch.transpose = np.swapaxes
    torch.mean = lambda x, dim: x.mean(axis=dim)
    torch.empty = lambda *shape: np.zeros(shape, dtype=np.float32)
    nn = types.ModuleType("torch.nn")
    nn.Module, nn.ModuleList, nn.Linear, nn.LayerNorm = Module, ModuleList, Linear, LayerNorm
    nn.RMSNorm, nn.Embedding, nn.Parameter = RMSNorm, Embedding, lambda x: x
    functional = types.ModuleType("torch.nn.functional")
    functional.leaky_relu = lambda x, negative_slope=0.01: np.where(x > 0, x, negative_slope * x)
    functional.elu = elu
    functional.gelu = lambda x: 0.5 * x * (1.0 + np.vectorize(math.erf)(x / math.sqrt(2.0)))
    functional.silu = lambda x: x * sigmoid(x)
    functional.softplus = lambda x: np.logaddexp(0.0, x)
    functional.scaled_dot_product_attention = scaled_dot_product_attention
    functional.unfold = unfold
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
    transformers = []
    for name, class_name, width, classes in [("language_model", "LanguageModel", 6, 11),
                                             ("vision_transformer", "VisionTransformer", 48, 3)]:
        module = load_module(f"{directory}/{name}_module.py", class_name)
        module.load_state_dict(load_file(f"{directory}/{name}.safetensors"))
        inputs = np.fromfile(f"{directory}/{name}_inputs.f32", dtype="<f4").reshape(-1, width).astype(np.float64)
        expected = np.fromfile(f"{directory}/{name}_outputs.f32", dtype="<f4").reshape(-1, classes)
        # A language model gives (n, T, V); netinit one row per token, (n·T, V).
        found = module.probabilities(inputs).reshape(-1, classes)
        transformers.append(float(np.max(np.abs(found - expected))))
        assert transformers[-1] < 1e-5, (name, transformers[-1])
    print(f"the exported modules load their checkpoints strictly (every activation runs, forward gives logits); "
          f"the card's probabilities within {difference:.1e}; the residual network's (pre-norm, shortcut, "
          f"nested blocks) within {residual_difference:.1e}; the causal language model's within "
          f"{transformers[0]:.1e}, the vision transformer's within {transformers[1]:.1e}")


if __name__ == "__main__":
    main(sys.argv[1])
