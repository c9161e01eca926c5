#include "search/related.h"

#include <algorithm>

#include "search/query.h"

namespace broadsheet::search {

std::vector<PostDetail> ChooseRelated(const Post& post, std::vector<PostDetail> candidates,
                                      size_t count) {
  const std::vector<std::string> words = DistinctiveWords(post);
  struct Scored {
    double score;
    PostDetail* candidate;
  };
  std::vector<Scored> scored;
  for (PostDetail& candidate : candidates) {
    const Post& other = candidate.post;
    if (other.id == post.id || other.kind != PostKind::kArticle) continue;
    int shared_tags = 0;
    for (const Tag& tag : candidate.tags) {
      if (std::find(post.tag_ids.begin(), post.tag_ids.end(), tag.id) != post.tag_ids.end())
        ++shared_tags;
    }
    const bool same_section = post.section_id && other.section_id == post.section_id;
    // The share of the smaller word set found in the other: up to 2.5, less than a tag in common
    // (3) but more than the section (2), so that text decides between equally tagged pieces.
    const std::vector<std::string> other_words = DistinctiveWords(other);
    size_t common = 0;
    for (const std::string& word : other_words)
      common += std::count(words.begin(), words.end(), word);
    const size_t smaller = std::min(words.size(), other_words.size());
    const double similarity = smaller == 0 ? 0.0 : 2.5 * static_cast<double>(common) / smaller;
    scored.push_back({3.0 * shared_tags + 2.0 * same_section + similarity, &candidate});
  }
  std::stable_sort(scored.begin(), scored.end(), [](const Scored& a, const Scored& b) {
    if (a.score != b.score) return a.score > b.score;
    return a.candidate->post.published_at.value_or(0) > b.candidate->post.published_at.value_or(0);
  });
  std::vector<PostDetail> chosen;
  for (const Scored& entry : scored) {
    if (chosen.size() == count) break;
    chosen.push_back(std::move(*entry.candidate));
  }
  return chosen;
}

}  // namespace broadsheet::search
