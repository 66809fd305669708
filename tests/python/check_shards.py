"""An independent reader of netinit's sharded output: read
`model.safetensors.index.json` as Hugging Face's loaders do (each tensor
from the shard its `weight_map` names), check `total_size`, and compare
every tensor, bit for bit, with the single file `netinit init` wrote from
the same spec and seed. A tensor in the wrong shard, a missing or extra
tensor, or a total that does not add up fails it."""

import json
import sys

import numpy as np
from safetensors.numpy import load_file


def main(directory):
    with open(f"{directory}/sharded/model.safetensors.index.json") as index_file:
        index = json.load(index_file)
    whole = load_file(f"{directory}/whole.safetensors")
    weight_map = index["weight_map"]
    assert sorted(weight_map) == sorted(whole), (sorted(weight_map), sorted(whole))
    shards = {}
    for name, shard in weight_map.items():
        if shard not in shards:
            shards[shard] = load_file(f"{directory}/sharded/{shard}")
        values = shards[shard][name]
        assert values.dtype == np.float32, (name, values.dtype)
        assert values.shape == whole[name].shape, (name, values.shape)
        assert values.tobytes() == whole[name].tobytes(), name
    in_shards = sorted(name for tensors in shards.values() for name in tensors)
    assert in_shards == sorted(weight_map), in_shards
    total = sum(values.nbytes for values in whole.values())
    assert index["metadata"]["total_size"] == total, (index["metadata"], total)
    assert len(shards) > 1, f"one shard only: {sorted(shards)}"
    print(f"{len(weight_map)} tensors in {len(shards)} shards match the single file")


if __name__ == "__main__":
    main(sys.argv[1])
