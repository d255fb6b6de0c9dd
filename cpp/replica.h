// A training thread's own copy of a small dense table that almost every
// example writes whole: the output matrix under softmax and ova (and the top
// of hs's tree, the few rows ns draws from), the feature projection C.
//
// Hogwild threads that all write the same few cache lines on every example
// take turns owning them, and each access waits for its line: on 2 cores a
// second thread made softmax training slower than one (issue 15). A thread
// instead reads and updates its replica, as plain SGD would, and every few
// steps merges it: it adds what it changed since its last merge (copy -
// base) to the shared table and takes the sum as its new copy and base. The
// shared table thus gets every thread's updates, summed, and each thread sees
// the others' within a merge period. The merge is itself a hogwild write: two
// threads merging the same entry at the same instant can lose one update, as
// plain hogwild can.
#pragma once

#include <cstdint>
#include <vector>

#include "matrix.h"

namespace mmfast {

class Replica {
 public:
  // None: of() is the shared table itself (training on one thread).
  Replica() = default;
  // A copy of `shared`, merged into it every `merge_every` (>= 1) steps.
  Replica(const Matrix& shared, int merge_every);

  bool active() const { return merge_every_ > 0; }
  // The table this thread reads and updates: its copy, or `shared` without one.
  Matrix& of(Matrix& shared) { return active() ? copy_ : shared; }
  const Matrix& of(const Matrix& shared) const { return active() ? copy_ : shared; }
  // Counts one training step that updated the copy; merges every merge_every.
  void step(Matrix& shared) {
    if (active() && ++steps_ == merge_every_) merge(shared);
  }
  // Adds to `shared` what this thread changed since its last merge and takes
  // the result as its copy (a no-op without one).
  void merge(Matrix& shared);

 private:
  Matrix copy_;              // what this thread reads and updates
  std::vector<float> base_;  // copy_ as of the last merge
  int merge_every_ = 0;
  int steps_ = 0;  // since the last merge
};

}  // namespace mmfast
