// The HMP line editor, reproducing what QEMU 7.2's monitor readline echoes to
// a client byte for byte.
//
// Layering (same as QEMU):
//   * Readline emits *logical* text: a line break is a bare "\n". It never
//     emits "\r\n" itself.
//   * The Write callback must be the monitor's output function, which turns
//     every "\n" into "\r\n" (QEMU's monitor_puts does this for all monitor
//     output, and readline output goes through the same path). Use
//     expand_newlines() below if you need the wire bytes. Besides "\n",
//     Readline writes the prompt, the edit buffer, "ESC[K", "ESC[C", "ESC[D",
//     "ESC[2J ESC[1;1H" and the completion list.
//   * Readline never prints a prompt on its own after a line was submitted:
//     QEMU's monitor prints it when the command has finished (monitor_resume).
//     The monitor calls show_prompt() for that, and on a new connection calls
//     restart() + show_prompt() after the banner.
//
// Feed every received byte to handle_byte(), one at a time, in order; stop
// feeding while a command keeps the monitor suspended (QEMU does not read the
// chardev then). The on_line callback runs synchronously inside handle_byte().
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace migemu {

class Readline {
 public:
  using Write = std::function<void(std::string_view bytes)>;
  // Called on TAB with the buffer up to the cursor; calls add_completion() and
  // set_completion_index() on the Readline it is given.
  using Completer = std::function<void(Readline&, std::string_view cmdline)>;
  using LineHandler = std::function<void(std::string line)>;

  static constexpr size_t kMaxLine = 4095;        // edit buffer size, as QEMU
  static constexpr size_t kHistorySize = 64;      // history entries
  static constexpr size_t kMaxCompletions = 256;  // candidates kept per TAB
  static constexpr size_t kMaxPrompt = 255;       // longer prompts are cut

  Readline(Write write, Completer completer);

  // Sets the prompt and the handler for submitted lines and empties the edit
  // buffer (readline_start). Prints nothing.
  void start(std::string prompt, LineHandler on_line);
  // Empties the edit buffer (readline_restart). Prints nothing; history and
  // history position are kept.
  void restart();
  // Prints the prompt and forgets what was drawn (readline_show_prompt). The
  // edit buffer is kept and redrawn by the next handle_byte().
  void show_prompt();
  // Processes one input byte and redraws (readline_handle_byte).
  void handle_byte(uint8_t c);
  void handle_bytes(std::string_view bytes) {
    for (char c : bytes) handle_byte(static_cast<uint8_t>(c));
  }

  // For the Completer.
  void add_completion(std::string s);
  void set_completion_index(int index) { completion_index_ = index; }

  // History, oldest first; nullptr past the end (readline_get_history), for
  // "info history".
  const std::string* history_entry(size_t index) const;
  const std::string& prompt() const { return prompt_; }
  // Current edit buffer and cursor (for tests and diagnostics).
  const std::string& buffer() const { return buf_; }
  size_t cursor() const { return cursor_; }

 private:
  enum class EscState { Normal, Esc, Csi, Ss3 };

  void redraw();
  void insert_char(char ch);
  void delete_char();
  void backspace();
  void delete_word_back();
  void history_up();
  void history_down();
  void history_add(const std::string& line);
  void complete();
  void clear_screen();
  void submit();
  void emit(std::string_view s) { write_(s); }

  Write write_;
  Completer completer_;
  LineHandler on_line_;
  std::string prompt_;

  std::string buf_;
  size_t cursor_ = 0;
  std::string drawn_;        // what the client shows after the prompt
  size_t drawn_cursor_ = 0;  // cursor column the client shows

  EscState esc_ = EscState::Normal;
  int32_t esc_param_ = 0;

  // Slots as in QEMU: filled from 0, an empty string marks a free slot.
  std::vector<std::string> history_;
  int hist_entry_ = -1;

  std::vector<std::string> completions_;
  int completion_index_ = 0;
};

// "\n" -> "\r\n", the way QEMU's monitor_puts writes text to the client; stops
// at the first NUL byte as monitor_puts does.
std::string expand_newlines(std::string_view text);

}  // namespace migemu
