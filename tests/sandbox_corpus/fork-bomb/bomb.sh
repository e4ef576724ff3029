# Containment test: a fork bomb (stopped by RLIMIT_NPROC, then killed with the namespace).
bomb() { bomb | bomb & }
bomb
sleep 2
exit 0
