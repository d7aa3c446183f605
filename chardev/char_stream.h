// A chardev over a byte stream with one peer at a time: a server socket's
// current client, a connected client socket, or stdin/stdout. Output is
// queued and written without blocking the main loop.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "chardev/chardev.h"
#include "io/fd_watch.h"

namespace migemu {

class StreamChardev : public Chardev {
 public:
  enum class Kind { Server, Client, Stdio };

  StreamChardev(std::string id, Kind kind, std::string filename = {});
  ~StreamChardev() override;

  // Server: start accepting on an already-listening socket. `describe` gives
  // query-chardev's filename for a connected client (QEMU recomputes it
  // from the socket's addresses at each connection); `idle` is the
  // filename while nobody is connected.
  void start_server(Fd listener, std::string idle);
  // Client or stdio: the stream is connected from the start.
  void start_connected(Fd in, Fd out);
  // Blocks until a client connects (server wait=on).
  void wait_for_client();

  void set_handlers(Handlers h) override;
  void write(std::string_view bytes) override;
  Fd take_msgfd() override;
  void set_reading(bool on) override;
  void disconnect() override;
  void flush_blocking() override;
  bool connected() const override { return connected_; }

 private:
  void arm_accept();
  void adopt_client(Fd c);
  bool reading() const;
  void update_read_watch();
  void on_readable();
  void try_flush();
  void hangup();

  Kind kind_;
  Fd listener_;
  Fd in_fd_;
  Fd out_fd_;
  bool connected_ = false;
  bool reading_enabled_ = true;
  std::string idle_filename_;
  std::string outbuf_;
  std::vector<Fd> msgfds_;
  Handlers handlers_;
  FdWatch accept_watch_;
  FdWatch read_watch_;
  FdWatch write_watch_;
};

// query-chardev's filename for a socket chardev with a connected client:
// "unix:PATH[,server=on]" or "tcp:HOST:PORT[,server=on] <-> PEER:PORT",
// from the connection's own addresses (qemu_chr_compute_filename).
std::string connected_socket_filename(int fd, bool listen);

}  // namespace migemu
