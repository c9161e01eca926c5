// What lets several processes (nodes sharing a PostgreSQL database, or a server and a command on
// one SQLite file) do background work once between them: each process's node id, its heartbeat,
// and the leases for work that one process of them all does (the scheduler's).
//
// Heartbeat keeps the lease `node:ID` (records.h, NodeLeaseName) alive while the process runs:
// taken when it is made, renewed every few seconds on its own thread, given up when it is
// destroyed. The claims a process holds on outbox rows count only while it lives, so a node that
// dies leaves them to the others within kHeartbeatSeconds; one that stops gives them up at once.
// A heartbeat renewed after it lapsed (the database was away) keeps its process from taking
// others' dead claims for kHeartbeatSeconds (records.h, RejoinedLeaseName).
//
// SharedLease is one named lease for work that must run once per database however many nodes
// run (publishing due posts): Hold takes it when it is free or expired, renews it while held, and
// says whether this process may do the work now; a holder that dies is replaced once its lease
// expires, one that stops gives it up at once.
//
// Both borrow the Store, which must outlive them. Heartbeat is thread-safe; a SharedLease is used
// by one thread (its destructor runs after that thread's last Hold).
#pragma once

#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "storage/store.h"

namespace broadsheet::app {

// A new node id for this process: the host's name, the process id and random digits, so that an
// operator reading `leases` or an outbox's claims knows the machine, and two processes never
// share one.
std::string NewNodeId();

class Heartbeat {
 public:
  Heartbeat(Store& store, std::string node);
  ~Heartbeat();
  Heartbeat(const Heartbeat&) = delete;
  Heartbeat& operator=(const Heartbeat&) = delete;

  const std::string& node() const { return node_; }

 private:
  void Beat();
  void Loop();

  Store& store_;
  const std::string node_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;  // last: starts once the rest is ready
};

class SharedLease {
 public:
  // `life`: how long one renewal keeps the lease; Hold must be called more often than that.
  SharedLease(Store& store, std::string name, std::string holder, Timestamp life);
  ~SharedLease();
  SharedLease(const SharedLease&) = delete;
  SharedLease& operator=(const SharedLease&) = delete;

  // Takes or renews the lease at `now`: true while this process holds it. A database error is
  // false (another process may take it meanwhile) and logged when the holding changes.
  bool Hold(Timestamp now);

 private:
  Store& store_;
  const std::string name_, holder_;
  const Timestamp life_;
  bool held_ = false;
};

}  // namespace broadsheet::app
