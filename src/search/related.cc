#include "search/related.h"

#include <algorithm>

namespace broadsheet::search {

std::vector<PostDetail> ChooseRelated(const Post& post, std::vector<RelatedCandidate> candidates,
                                      size_t count) {
  struct Scored {
    double score;
    RelatedCandidate* candidate;
  };
  std::vector<Scored> scored;
  for (RelatedCandidate& candidate : candidates) {
    const Post& other = candidate.detail.post;
    if (other.id == post.id || other.kind != PostKind::kArticle) continue;
    int shared_tags = 0;
    for (const Tag& tag : candidate.detail.tags) {
      shared_tags += std::count(post.tag_ids.begin(), post.tag_ids.end(), tag.id) > 0 ? 1 : 0;
    }
    const bool same_section = post.section_id && other.section_id == post.section_id;
    // Similarity adds up to 2.5: less than a shared tag (3) but more than the section (2) does
    // when there is no tag in common, so text breaks ties between equally tagged candidates.
    const double similarity =
        candidate.similarity < 0
            ? 0.0
            : 2.5 * (1.0 - static_cast<double>(candidate.similarity) / kRelatedCandidates);
    scored.push_back({3.0 * shared_tags + 2.0 * same_section + similarity, &candidate});
  }
  std::stable_sort(scored.begin(), scored.end(), [](const Scored& a, const Scored& b) {
    if (a.score != b.score) return a.score > b.score;
    return a.candidate->detail.post.published_at.value_or(0) >
           b.candidate->detail.post.published_at.value_or(0);
  });
  std::vector<PostDetail> chosen;
  for (const Scored& entry : scored) {
    if (chosen.size() == count) break;
    chosen.push_back(std::move(entry.candidate->detail));
  }
  return chosen;
}

}  // namespace broadsheet::search
