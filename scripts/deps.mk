# `make deps` installs what is missing; check-deps runs it once per build
# dir and remembers success in a stamp, so a fresh Debian machine needs only
# `make suite` or `make test`.
DEPS_STAMP := build/.deps-ok
deps:
	$(Q)scripts/install-deps.sh
	@mkdir -p build && touch $(DEPS_STAMP)
check-deps: $(DEPS_STAMP)
$(DEPS_STAMP): scripts/install-deps.sh
	$(Q)scripts/install-deps.sh
	@mkdir -p build && touch $@
