"""An independent reader of netinit's checkpoints: Python's safetensors and
numpy read the file `examples/checkpoint_reference.rs` wrote, check its
names, shapes, dtype and metadata, and compute the card network's forward
pass, which must match netinit's to 1e-5. A wrong layout (a transposed
weight), a wrong name or a wrong dtype fails it."""

import sys

import numpy as np
from safetensors import safe_open
from safetensors.numpy import load_file


def main(directory):
    path = f"{directory}/card.safetensors"
    tensors = load_file(path)
    expected_shapes = {
        "layers.0.weight": (256, 784),
        "layers.0.bias": (256,),
        "layers.1.weight": (10, 256),
        "layers.1.bias": (10,),
    }
    assert sorted(tensors) == sorted(expected_shapes), sorted(tensors)
    for name, shape in expected_shapes.items():
        assert tensors[name].shape == shape, (name, tensors[name].shape)
        assert tensors[name].dtype == np.float32, (name, tensors[name].dtype)
    with safe_open(path, "np") as checkpoint:
        metadata = checkpoint.metadata()
    assert metadata["netinit.spec"] == "dense(784 -> 256, relu),\ndense(256 -> 10, softmax)", metadata
    assert metadata["netinit.seed"] == "0", metadata
    assert metadata["netinit.sampler"] == "philox4x32-boxmuller-2", metadata
    assert metadata["format"] == "pt", metadata

    inputs = np.fromfile(f"{directory}/inputs.f32", dtype="<f4").reshape(-1, 784)
    expected = np.fromfile(f"{directory}/outputs.f32", dtype="<f4").reshape(-1, 10)
    hidden = np.maximum(inputs @ tensors["layers.0.weight"].T + tensors["layers.0.bias"], 0.0)
    logits = hidden @ tensors["layers.1.weight"].T + tensors["layers.1.bias"]
    logits = logits - logits.max(axis=1, keepdims=True)
    probabilities = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    difference = float(np.max(np.abs(probabilities - expected)))
    assert difference < 1e-5, difference
    std = float(tensors["layers.0.weight"].std())
    print(f"python safetensors reads netinit's checkpoint: 4 tensors, forward pass within {difference:.1e}, "
          f"layer 0 weight std {std:.4f} (He: 0.0505)")


if __name__ == "__main__":
    main(sys.argv[1])
