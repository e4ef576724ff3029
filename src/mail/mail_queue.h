#pragma once
// The outgoing mail queue (docs/email.md §Delivery): messages are stored in the EmailStore before
// anything is sent, and a worker thread hands them to the MailTransport, retrying failures with
// exponential back-off. A mail server outage delays mail; it loses none (the queue survives
// restarts).

#include <memory>
#include <string>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "bulwark/env/clock.h"
#include "bulwark/env/mail_transport.h"
#include "bulwark/env/random.h"
#include "bulwark/storage/email_store.h"
#include "mail/mime.h"

namespace bulwark {

struct MailQueueOptions {
  // "Name <address>" or "address": the From header; the address is the envelope sender.
  std::string from = "Bulwark <bulwark@localhost>";
  absl::Duration first_retry = absl::Seconds(30);  // Doubled after each failure ...
  absl::Duration max_retry = absl::Hours(1);       // ... up to this.
  // A message still not accepted after this long is marked failed (logged, counted).
  absl::Duration give_up_after = absl::Hours(72);
  // How often the worker looks for due messages when nothing wakes it.
  absl::Duration poll = absl::Seconds(5);
  // A server that refuses a message for good (5xx) gets this many tries.
  int permanent_failure_attempts = 3;
};

class MailQueue {
 public:
  // `transport` may be null (mail disabled): messages are then queued and kept, not sent.
  MailQueue(EmailStore& store, MailTransport* transport, Clock& clock, Random& random,
            MailQueueOptions options);
  ~MailQueue();  // Stops the worker.

  // Builds and stores the message; the worker sends it soon. InvalidArgument for a bad address.
  absl::Status Enqueue(const MailMessage& message);
  // Tries every due message once; returns how many were accepted by the mail system.
  absl::StatusOr<int> Drain();
  // Starts the worker thread (serve only; admin commands just enqueue).
  void Start();
  bool enabled() const { return transport_ != nullptr; }

 private:
  void Run();
  std::string EnvelopeSender() const;

  EmailStore& store_;
  MailTransport* const transport_;
  Clock& clock_;
  Random& random_;
  const MailQueueOptions options_;
  absl::Mutex mu_;
  bool wake_ ABSL_GUARDED_BY(mu_) = false;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  absl::Mutex drain_mu_;  // One Drain at a time.
  std::thread worker_;
};

}  // namespace bulwark
