"""`netinit export --pytorch` checked without PyTorch: the generated module
runs against a small stand-in for `torch` written with numpy, whose
`load_state_dict` is strict like PyTorch's. The checkpoint netinit wrote
must load into it (every name and shape), and its forward pass must give
netinit's outputs to 1e-5."""

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
    def __init__(self, inputs, outputs):
        super().__init__()
        self._parameters = {
            "weight": np.zeros((outputs, inputs), dtype=np.float32),
            "bias": np.zeros(outputs, dtype=np.float32),
        }

    def forward(self, x):
        return x @ self._parameters["weight"].T + self._parameters["bias"]


def softmax(x, dim):
    shifted = np.exp(x - x.max(axis=dim, keepdims=True))
    return shifted / shifted.sum(axis=dim, keepdims=True)


def fake_torch():
    torch = types.ModuleType("torch")
    torch.relu = lambda x: np.maximum(x, 0.0)
    torch.tanh = np.tanh
    torch.sigmoid = lambda x: 1.0 / (1.0 + np.exp(-x))
    torch.softmax = softmax
    nn = types.ModuleType("torch.nn")
    nn.Module, nn.ModuleList, nn.Linear = Module, ModuleList, Linear
    functional = types.ModuleType("torch.nn.functional")
    nn.functional = functional
    torch.nn = nn
    sys.modules.update({"torch": torch, "torch.nn": nn, "torch.nn.functional": functional})


def main(directory):
    fake_torch()
    namespace = {}
    with open(f"{directory}/card_module.py") as source:
        exec(compile(source.read(), "card_module.py", "exec"), namespace)
    model = namespace["Network"]()
    model.load_state_dict(load_file(f"{directory}/card.safetensors"))
    inputs = np.fromfile(f"{directory}/inputs.f32", dtype="<f4").reshape(-1, 784)
    expected = np.fromfile(f"{directory}/outputs.f32", dtype="<f4").reshape(-1, 10)
    difference = float(np.max(np.abs(model(inputs) - expected)))
    assert difference < 1e-5, difference
    print(f"the exported module loads the checkpoint strictly; forward pass within {difference:.1e}")


if __name__ == "__main__":
    main(sys.argv[1])
