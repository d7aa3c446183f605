// HMP line editor; see readline.h for the layering. The behaviour (including
// its quirks) was checked against qemu-system-x86_64 7.2 over a unix socket.
#include "monitor/readline.h"

#include <algorithm>
#include <optional>
#include <utility>

namespace migemu {

namespace {

constexpr std::string_view kCursorLeft = "\033[D";
constexpr std::string_view kCursorRight = "\033[C";
constexpr std::string_view kEraseToEol = "\033[K";
constexpr std::string_view kClearScreen = "\033[2J\033[1;1H";
constexpr int kScreenWidth = 80;

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

void repeat(std::string& out, std::string_view what, size_t n) {
  out.reserve(out.size() + what.size() * n);
  for (size_t i = 0; i < n; ++i) out.append(what);
}

}  // namespace

std::string expand_newlines(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 16);
  for (char c : text) {
    if (c == '\0') break;
    if (c == '\n') out.push_back('\r');
    out.push_back(c);
  }
  return out;
}

Readline::Readline(Write write, Completer completer)
    : write_(std::move(write)), completer_(std::move(completer)), history_(kHistorySize) {}

void Readline::start(std::string prompt, LineHandler on_line) {
  if (prompt.size() > kMaxPrompt) prompt.resize(kMaxPrompt);
  prompt_ = std::move(prompt);
  on_line_ = std::move(on_line);
  restart();
}

void Readline::restart() {
  buf_.clear();
  cursor_ = 0;
}

void Readline::show_prompt() {
  // The prompt is printed as a C string.
  emit(std::string_view(prompt_.c_str()));
  drawn_.clear();
  drawn_cursor_ = 0;
  esc_ = EscState::Normal;
}

const std::string* Readline::history_entry(size_t index) const {
  if (index >= kHistorySize || history_[index].empty()) return nullptr;
  return &history_[index];
}

void Readline::add_completion(std::string s) {
  // Candidates are C strings in QEMU.
  if (auto nul = s.find('\0'); nul != std::string::npos) s.resize(nul);
  if (completions_.size() >= kMaxCompletions) return;
  if (std::find(completions_.begin(), completions_.end(), s) != completions_.end()) return;
  completions_.push_back(std::move(s));
}

// Brings the client's view in line with buf_/cursor_: if the text changed,
// go back to the start of the input, print all of it and erase the rest of
// the terminal line; then move the cursor one column at a time.
void Readline::redraw() {
  std::string out;
  if (buf_ != drawn_) {
    repeat(out, kCursorLeft, drawn_cursor_);
    out.append(buf_);
    out.append(kEraseToEol);
    drawn_ = buf_;
    drawn_cursor_ = buf_.size();
  }
  if (cursor_ > drawn_cursor_) {
    repeat(out, kCursorRight, cursor_ - drawn_cursor_);
  } else if (cursor_ < drawn_cursor_) {
    repeat(out, kCursorLeft, drawn_cursor_ - cursor_);
  }
  drawn_cursor_ = cursor_;
  if (!out.empty()) emit(out);
}

void Readline::insert_char(char ch) {
  // QEMU only checks the cursor; with a full buffer and the cursor before its
  // end it overruns its array. We drop the byte instead whenever the buffer is
  // full, which is what QEMU does when the cursor is at the end.
  if (cursor_ >= kMaxLine || buf_.size() >= kMaxLine) return;
  buf_.insert(buf_.begin() + static_cast<std::ptrdiff_t>(cursor_), ch);
  ++cursor_;
}

void Readline::delete_char() {
  if (cursor_ < buf_.size()) buf_.erase(cursor_, 1);
}

void Readline::backspace() {
  if (cursor_ > 0) {
    --cursor_;
    delete_char();
  }
}

// ^W: drop the spaces before the cursor, then the word before them. A word
// that reaches the start of the line goes with everything before it.
void Readline::delete_word_back() {
  if (cursor_ == 0 || cursor_ > buf_.size()) return;
  size_t start = cursor_ - 1;
  while (start > 0 && is_space(buf_[start])) --start;
  while (start > 0) {
    if (is_space(buf_[start])) {
      ++start;
      break;
    }
    --start;
  }
  if (start < cursor_) {
    buf_.erase(start, cursor_ - start);
    cursor_ = start;
  }
}

void Readline::history_up() {
  if (hist_entry_ == 0) return;
  if (hist_entry_ == -1) {
    size_t used = 0;
    while (used < kHistorySize && !history_[used].empty()) ++used;
    hist_entry_ = static_cast<int>(used);
  }
  --hist_entry_;
  if (hist_entry_ >= 0) {
    buf_ = history_[static_cast<size_t>(hist_entry_)];
    cursor_ = buf_.size();
  }
}

void Readline::history_down() {
  if (hist_entry_ == -1) return;
  if (hist_entry_ < static_cast<int>(kHistorySize) - 1 &&
      !history_[static_cast<size_t>(++hist_entry_)].empty()) {
    buf_ = history_[static_cast<size_t>(hist_entry_)];
  } else {
    buf_.clear();
    hist_entry_ = -1;
  }
  cursor_ = buf_.size();
}

// A line already in the history moves to the newest position instead of being
// added twice. Two QEMU quirks are kept on purpose: an empty line, and a line
// equal to the newest entry of a full history, leave the browse position
// (hist_entry_) where it was.
void Readline::history_add(const std::string& line) {
  if (line.empty()) return;
  constexpr size_t n = kHistorySize;

  std::optional<size_t> same;
  if (hist_entry_ != -1 && history_[static_cast<size_t>(hist_entry_)] == line) {
    same = static_cast<size_t>(hist_entry_);
  }
  size_t idx = 0;
  if (!same) {
    for (idx = 0; idx < n && !history_[idx].empty(); ++idx) {
      if (history_[idx] == line) {
        same = idx;
        break;
      }
    }
  }
  std::string entry = line;
  if (same) {
    idx = *same;
    if (idx == n - 1) return;
    entry = std::move(history_[idx]);
    std::move(history_.begin() + static_cast<std::ptrdiff_t>(idx) + 1, history_.end(),
              history_.begin() + static_cast<std::ptrdiff_t>(idx));
    history_[n - 1].clear();
    while (idx < n && !history_[idx].empty()) ++idx;
  }
  if (idx == n) {
    std::move(history_.begin() + 1, history_.end(), history_.begin());
    history_[n - 1].clear();
    idx = n - 1;
  }
  history_[idx] = std::move(entry);
  hist_entry_ = -1;
}

void Readline::complete() {
  completions_.clear();
  if (completer_) completer_(*this, std::string_view(buf_).substr(0, cursor_));
  std::vector<std::string> cands = std::move(completions_);
  completions_.clear();
  if (cands.empty()) return;

  const size_t from = completion_index_ > 0 ? static_cast<size_t>(completion_index_) : 0;
  if (cands.size() == 1) {
    const std::string& only = cands[0];
    for (size_t i = from; i < only.size(); ++i) insert_char(only[i]);
    // Ready for the next argument, unless a directory was completed.
    if (!only.empty() && only.back() != '/') insert_char(' ');
    return;
  }

  std::sort(cands.begin(), cands.end());
  size_t width = 0;
  size_t prefix = cands[0].size();
  for (const std::string& c : cands) {
    width = std::max(width, c.size());
    size_t j = 0;
    while (j < prefix && j < c.size() && c[j] == cands[0][j]) ++j;
    prefix = j;
  }
  for (size_t i = from; i < prefix; ++i) insert_char(cands[0][i]);

  int col_width = static_cast<int>(std::min<size_t>(width, kScreenWidth)) + 2;
  col_width = std::clamp(col_width, 10, kScreenWidth);
  const size_t cols = static_cast<size_t>(kScreenWidth / col_width);
  std::string out = "\n";
  size_t in_row = 0;
  for (size_t i = 0; i < cands.size(); ++i) {
    out.append(cands[i]);
    if (cands[i].size() < static_cast<size_t>(col_width)) {
      out.append(static_cast<size_t>(col_width) - cands[i].size(), ' ');
    }
    if (++in_row == cols || i == cands.size() - 1) {
      out.push_back('\n');
      in_row = 0;
    }
  }
  emit(out);
  show_prompt();
}

void Readline::clear_screen() {
  emit(kClearScreen);
  show_prompt();
}

void Readline::submit() {
  std::string line = buf_;
  history_add(line);
  emit("\n");
  buf_.clear();
  cursor_ = 0;
  drawn_.clear();
  drawn_cursor_ = 0;
  // The handler may call start() and replace on_line_; keep it alive.
  LineHandler handler = on_line_;
  if (handler) handler(std::move(line));
}

void Readline::handle_byte(uint8_t c) {
  switch (esc_) {
    case EscState::Normal:
      switch (c) {
        case 0x01:  // ^A
          cursor_ = 0;
          break;
        case 0x04:  // ^D
          delete_char();
          break;
        case 0x05:  // ^E
          cursor_ = buf_.size();
          break;
        case '\t':
          complete();
          break;
        case 0x0c:  // ^L
          clear_screen();
          break;
        case '\n':
        case '\r':
          submit();
          break;
        case 0x17:  // ^W
          delete_word_back();
          break;
        case 0x1b:
          esc_ = EscState::Esc;
          break;
        case 0x7f:
        case 0x08:
          backspace();
          break;
        case 0x9b:  // 8-bit CSI; keeps the previous parameter
          esc_ = EscState::Csi;
          break;
        default:
          if (c >= 0x20) insert_char(static_cast<char>(c));
          break;
      }
      break;
    case EscState::Esc:
      // Any other byte ends the sequence and is swallowed.
      if (c == '[') {
        esc_ = EscState::Csi;
        esc_param_ = 0;
      } else if (c == 'O') {
        esc_ = EscState::Ss3;
        esc_param_ = 0;
      } else {
        esc_ = EscState::Normal;
      }
      break;
    case EscState::Csi:
      if (c >= '0' && c <= '9') {
        // 32-bit wrap-around, as observed.
        esc_param_ = static_cast<int32_t>(static_cast<uint32_t>(esc_param_) * 10u + (c - '0'));
        break;
      }
      switch (c) {
        case 'A':
        case 'F':
          history_up();
          break;
        case 'B':
        case 'E':
          history_down();
          break;
        case 'C':
          if (cursor_ < buf_.size()) ++cursor_;
          break;
        case 'D':
          if (cursor_ > 0) --cursor_;
          break;
        case '~':
          if (esc_param_ == 1) {
            cursor_ = 0;
          } else if (esc_param_ == 3) {
            delete_char();
          } else if (esc_param_ == 4) {
            cursor_ = buf_.size();
          }
          break;
        default:
          break;
      }
      esc_ = EscState::Normal;
      break;
    case EscState::Ss3:
      if (c == 'F') {
        cursor_ = buf_.size();
      } else if (c == 'H') {
        cursor_ = 0;
      }
      esc_ = EscState::Normal;
      break;
  }
  redraw();
}

}  // namespace migemu
