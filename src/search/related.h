// Related analysis at the foot of an article. The Store proposes candidates that share tags or
// the section; Choose ranks them: tags in common count most, then the same section, then how many
// distinctive words their headlines and deks share, then how recent they are. When that gives
// too few, the site adds the best text matches (SearchIndex::Similar).
#pragma once

#include <vector>

#include "storage/records.h"

namespace broadsheet::search {

inline constexpr int kRelatedCandidates = 20;  // of each kind, asked of the Store

std::vector<PostDetail> ChooseRelated(const Post& post, std::vector<PostDetail> candidates,
                                      size_t count);

}  // namespace broadsheet::search
