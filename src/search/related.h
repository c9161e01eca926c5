// Related analysis at the foot of an article: the Store proposes candidates (sharing tags or the
// section, or similar in text); Choose ranks them: tags in common count most, then the same
// section, then how similar the text is, then how recent.
#pragma once

#include <vector>

#include "storage/records.h"

namespace broadsheet::search {

inline constexpr int kRelatedCandidates = 20;  // of each kind, asked of the Store

std::vector<PostDetail> ChooseRelated(const Post& post, std::vector<RelatedCandidate> candidates,
                                      size_t count);

}  // namespace broadsheet::search
