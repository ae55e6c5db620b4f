# Man pages and bash completions, generated from each tool's --help
# (scripts/mkman.sh; docs/cli.md): `make man`, installed by `make install`.
MAN_PAGES = $(patsubst $(B)/%,$(B)/man/man1/%.1,$(TOOLS))
COMPLETIONS = $(patsubst $(B)/%,$(B)/completions/%,$(TOOLS))

$(B)/man/man1/%.1: $(B)/% scripts/mkman.sh
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  MAN     $@")
	$(Q)scripts/mkman.sh man $< > $@

$(B)/completions/%: $(B)/% scripts/mkman.sh
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  BASHCMP $@")
	$(Q)scripts/mkman.sh bash $< > $@

man: $(MAN_PAGES) $(COMPLETIONS)
.PHONY: man
