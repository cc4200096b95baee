// RFC 5256 §BASE.ALGORITHMS. REFERENCES follows the six steps of the RFC over a table of
// containers (indices, no pointers), so loops and duplicate Message-IDs cannot corrupt it.
#include "imap/threading.hpp"

#include <algorithm>
#include <map>
#include <optional>
#include <tuple>

namespace tessera::imap {
namespace {

char upper(char c) {
  return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c;
}

std::string casemap(const std::string& s) {
  std::string out = s;
  std::transform(out.begin(), out.end(), out.begin(), upper);
  return out;
}

// §2.2: by sent date, then by sequence number.
std::tuple<std::int64_t, std::uint32_t> date_key(const ThreadMessage& m) {
  return {m.sent, m.sequence};
}

struct Container {
  int message = -1;  // index into the messages; -1 = dummy
  int parent = -1;
  std::vector<int> children;
};

class ReferenceThreader {
 public:
  explicit ReferenceThreader(const std::vector<ThreadMessage>& messages) : messages_(messages) {}

  std::vector<ThreadNode> run() {
    for (int i = 0; i < static_cast<int>(messages_.size()); ++i)
      link_message(i);
    // Step 2: every container without a parent goes under the root.
    std::vector<int> root;
    for (int c = 0; c < static_cast<int>(containers_.size()); ++c)
      if (containers_[c].parent == -1) root.push_back(c);
    prune(root, true);      // step 3
    sort_siblings(root);    // step 4 (top level; dummies by their first child)
    gather_subjects(root);  // step 5
    sort_tree(root);        // step 6
    std::vector<ThreadNode> out;
    for (int c : root)
      out.push_back(node(c));
    return out;
  }

 private:
  int container_for(const std::string& id) {
    auto [it, added] = ids_.try_emplace(id, static_cast<int>(containers_.size()));
    if (added) containers_.emplace_back();
    return it->second;
  }

  int new_container() {
    containers_.emplace_back();
    return static_cast<int>(containers_.size()) - 1;
  }

  // Is `a` reachable from `b` by walking up from `a`? (a descendant of b, or b itself)
  bool descends_from(int a, int b) const {
    for (int at = a, steps = 0; at != -1 && steps <= static_cast<int>(containers_.size());
         at = containers_[at].parent, ++steps)
      if (at == b) return true;
    return false;
  }

  void unlink(int child) {
    const int parent = containers_[child].parent;
    if (parent == -1) return;
    auto& siblings = containers_[parent].children;
    siblings.erase(std::find(siblings.begin(), siblings.end(), child));
    containers_[child].parent = -1;
  }

  void link(int parent, int child) {
    containers_[child].parent = parent;
    containers_[parent].children.push_back(child);
  }

  void link_message(int index) {
    const auto& m = messages_[index];
    // A missing or repeated Message-ID gets a unique one (§BASE.ALGORITHMS.REFERENCES step 1).
    int self = -1;
    if (!m.message_id.empty()) {
      self = container_for(m.message_id);
      if (containers_[self].message != -1) self = -1;
    }
    if (self == -1) self = new_container();
    containers_[self].message = index;
    // Step 1.A: chain the references, keeping existing links and refusing loops.
    int previous = -1;
    for (const auto& id : m.references) {
      const int c = container_for(id);
      if (previous != -1 && c != previous && containers_[c].parent == -1 &&
          !descends_from(previous, c))
        link(previous, c);
      previous = c;
    }
    // Step 1.B: the last reference is the parent; an older guess from a truncated References
    // of another message is replaced.
    unlink(self);
    if (previous != -1 && previous != self && !descends_from(previous, self)) link(previous, self);
  }

  // Step 3: dummies without children go; dummies with children give way to them, except that
  // several children are not promoted to the root.
  void prune(std::vector<int>& siblings, bool at_root) {
    std::vector<int> kept;
    for (int c : siblings) {
      prune(containers_[c].children, false);
      auto& container = containers_[c];
      if (container.message != -1) {
        kept.push_back(c);
        continue;
      }
      if (container.children.empty()) continue;
      if (at_root && container.children.size() > 1) {
        kept.push_back(c);
        continue;
      }
      for (int child : container.children) {
        containers_[child].parent = container.parent;
        kept.push_back(child);
      }
      container.children.clear();
    }
    siblings = std::move(kept);
    for (int c : siblings)
      for (int child : containers_[c].children)
        containers_[child].parent = c;
  }

  // The message that stands for a container: itself, or a dummy's first child.
  const ThreadMessage* representative(int c) const {
    const auto& container = containers_[c];
    if (container.message != -1) return &messages_[container.message];
    if (container.children.empty()) return nullptr;
    return representative(container.children.front());
  }

  void sort_siblings(std::vector<int>& siblings) {
    for (int c : siblings)
      if (containers_[c].message == -1) sort_siblings(containers_[c].children);
    std::stable_sort(siblings.begin(), siblings.end(), [&](int a, int b) {
      const auto* x = representative(a);
      const auto* y = representative(b);
      if (!x || !y) return x != nullptr && y == nullptr;
      return date_key(*x) < date_key(*y);
    });
  }

  void sort_tree(std::vector<int>& siblings) {
    for (int c : siblings)
      sort_tree(containers_[c].children);
    sort_siblings(siblings);
  }

  std::string thread_subject(int c) const {
    const auto* m = representative(c);
    return m ? casemap(m->base_subject) : std::string();
  }

  bool is_dummy(int c) const { return containers_[c].message == -1; }
  bool is_reply(int c) const {
    return !is_dummy(c) && messages_[containers_[c].message].reply_subject;
  }

  // Step 5: threads whose subjects agree are merged.
  void gather_subjects(std::vector<int>& root) {
    std::map<std::string, int> table;
    for (int c : root) {
      const auto subject = thread_subject(c);
      if (subject.empty()) continue;
      auto [it, added] = table.try_emplace(subject, c);
      if (added) continue;
      const int t = it->second;
      if (!is_dummy(t) && (is_dummy(c) || (is_reply(t) && !is_reply(c)))) it->second = c;
    }
    // 5.C, walking the root in place: a merged thread leaves its slot empty (-1), a new
    // dummy takes the slot of the table's message.
    for (std::size_t i = 0; i < root.size(); ++i) {
      const int c = root[i];
      if (c == -1) continue;
      const auto subject = thread_subject(c);
      auto it = subject.empty() ? table.end() : table.find(subject);
      if (it == table.end() || it->second == c) continue;
      const int t = it->second;
      if (is_dummy(t) && is_dummy(c)) {
        for (int child : containers_[c].children)
          link(t, child);
        containers_[c].children.clear();
      } else if (is_dummy(t) || (is_reply(c) && !is_reply(t))) {
        link(t, c);
      } else {
        const int dummy = new_container();
        std::replace(root.begin(), root.end(), t, dummy);
        link(dummy, t);
        link(dummy, c);
        it->second = dummy;
      }
      root[i] = -1;
    }
    std::erase(root, -1);
  }

  ThreadNode node(int c) const {
    ThreadNode n;
    const auto& container = containers_[c];
    if (container.message != -1) n.number = messages_[container.message].number;
    for (int child : container.children)
      n.children.push_back(node(child));
    return n;
  }

  const std::vector<ThreadMessage>& messages_;
  std::vector<Container> containers_;
  std::map<std::string, int> ids_;
};

void format_node(const ThreadNode& n, std::string& out);

void format_list(const ThreadNode& n, std::string& out) {
  out += '(';
  format_node(n, out);
  out += ')';
}

// thread-members = nz-number *(SP nz-number) [SP thread-nested]; a dummy is only its nested
// children (thread-list = "(" (thread-members / thread-nested) ")").
void format_node(const ThreadNode& n, std::string& out) {
  const ThreadNode* at = &n;
  while (at->number != 0) {
    out += std::to_string(at->number);
    if (at->children.size() != 1) break;
    at = &at->children.front();
    out += ' ';
  }
  if (at->children.size() <= 1 && at->number != 0) return;
  if (at->number != 0) out += ' ';
  for (const auto& child : at->children)
    format_list(child, out);
}

}  // namespace

int ascii_casemap_compare(const std::string& a, const std::string& b) {
  const auto n = std::min(a.size(), b.size());
  for (std::size_t i = 0; i < n; ++i) {
    const auto x = static_cast<unsigned char>(upper(a[i]));
    const auto y = static_cast<unsigned char>(upper(b[i]));
    if (x != y) return x < y ? -1 : 1;
  }
  return a.size() == b.size() ? 0 : (a.size() < b.size() ? -1 : 1);
}

std::vector<ThreadNode> thread_ordered_subject(const std::vector<ThreadMessage>& messages) {
  // Sorted by base subject, then sent date; each subject is one thread whose first message
  // is the parent of all the others; threads ordered by their first message's date.
  std::vector<const ThreadMessage*> sorted;
  for (const auto& m : messages)
    sorted.push_back(&m);
  std::stable_sort(sorted.begin(), sorted.end(), [](const auto* a, const auto* b) {
    const int by_subject = ascii_casemap_compare(a->base_subject, b->base_subject);
    if (by_subject != 0) return by_subject < 0;
    return date_key(*a) < date_key(*b);
  });
  std::vector<std::pair<const ThreadMessage*, ThreadNode>> threads;
  for (std::size_t i = 0; i < sorted.size(); ++i) {
    if (i > 0 && ascii_casemap_compare(sorted[i]->base_subject, sorted[i - 1]->base_subject) == 0) {
      threads.back().second.children.push_back(ThreadNode{sorted[i]->number, {}});
      continue;
    }
    threads.push_back({sorted[i], ThreadNode{sorted[i]->number, {}}});
  }
  std::stable_sort(threads.begin(), threads.end(), [](const auto& a, const auto& b) {
    return date_key(*a.first) < date_key(*b.first);
  });
  std::vector<ThreadNode> out;
  for (auto& t : threads)
    out.push_back(std::move(t.second));
  return out;
}

std::vector<ThreadNode> thread_references(const std::vector<ThreadMessage>& messages) {
  return ReferenceThreader(messages).run();
}

std::string format_threads(const std::vector<ThreadNode>& threads) {
  std::string out;
  for (const auto& t : threads)
    format_list(t, out);
  return out;
}

}  // namespace tessera::imap
