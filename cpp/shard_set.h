// The shards of a sharded compile (mmfast.dask: one compiled dataset per
// partition, all sharing one dictionary and one set of label names) read as
// one dataset: the examples of each shard in turn. Training on one machine
// (Classifier.fit of a manifest) and a Dask worker training on its shards
// both read them this way.
#pragma once

#include <memory>
#include <vector>

#include "dataset.h"
#include "dataset_file.h"

namespace mmfast {

using Shards = std::vector<std::shared_ptr<const CompiledDataset>>;

// Throws std::invalid_argument naming the shard when the shards do not
// share one dictionary, label names, min_count and kind of features (they
// were not compiled together), or when there are none.
void check_shards_agree(const Shards& shards);

// The examples of every shard, back to back, copied into memory (the token
// ids, labels and features of all the shards together); codes are widened to
// uint16 when some shard stores them so. Call check_shards_agree first.
std::shared_ptr<const Dataset> concatenate_shards(const Shards& shards);

}  // namespace mmfast
