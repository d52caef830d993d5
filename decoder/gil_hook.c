/*
 * gil_hook.c - the one place that says whether a lock address is
 * CPython's GIL, for wakes.c (and through it every concurrency finding).
 *
 * CPython keeps the GIL's mutex and condition variables inside its data
 * symbol _PyRuntime.  Until the symbolizer (symbolize.h) is merged, this
 * reads the dynamic symbol table of the process's executable, and only of
 * a non-PIE executable (ELF type EXEC, as Debian's python3.11 is), whose
 * symbols are at the addresses the file says: a PIE or libpython3.so
 * would need the recorded memory map, which is the symbolizer's job, so
 * for them nothing is the GIL.  A file changed since the recording could
 * be another build: the executable must still be the python binary whose
 * _PyRuntime holds the address.
 */
#include "wakes.h"

#include <elf.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* _PyRuntime's range in an ELF64 EXEC file's .dynsym, or 0. */
static int runtime_range(const uint8_t *f, size_t len, uint64_t *lo, uint64_t *hi)
{
    if (len < sizeof(Elf64_Ehdr) || memcmp(f, ELFMAG, SELFMAG) != 0 || f[EI_CLASS] != ELFCLASS64)
        return 0;
    const Elf64_Ehdr *eh = (const Elf64_Ehdr *)f;
    if (eh->e_type != ET_EXEC || eh->e_shentsize != sizeof(Elf64_Shdr) || eh->e_shoff > len ||
        (len - eh->e_shoff) / sizeof(Elf64_Shdr) < eh->e_shnum)
        return 0;
    const Elf64_Shdr *sh = (const Elf64_Shdr *)(f + eh->e_shoff);
    for (unsigned i = 0; i < eh->e_shnum; i++) {
        if (sh[i].sh_type != SHT_DYNSYM || sh[i].sh_link >= eh->e_shnum) continue;
        const Elf64_Shdr *str = &sh[sh[i].sh_link];
        if (sh[i].sh_offset > len || sh[i].sh_size > len - sh[i].sh_offset ||
            str->sh_offset > len || str->sh_size > len - str->sh_offset)
            return 0;
        const Elf64_Sym *sym = (const Elf64_Sym *)(f + sh[i].sh_offset);
        size_t n = sh[i].sh_size / sizeof(Elf64_Sym);
        const char *names = (const char *)(f + str->sh_offset);
        for (size_t k = 0; k < n; k++) {
            if (sym[k].st_name >= str->sh_size || ELF64_ST_TYPE(sym[k].st_info) != STT_OBJECT)
                continue;
            const char *name = names + sym[k].st_name;
            if (strnlen(name, str->sh_size - sym[k].st_name) == 10 &&
                memcmp(name, "_PyRuntime", 10) == 0 && sym[k].st_shndx != SHN_UNDEF) {
                *lo = sym[k].st_value;
                *hi = sym[k].st_value + sym[k].st_size;
                return 1;
            }
        }
    }
    return 0;
}

int object_is_gil(struct ws_process *p, uint64_t addr)
{
    /* One process at a time asks (the analysis reads them in turn). */
    static const struct ws_process *last;
    static uint64_t lo, hi;
    if (p != last) {
        last = p;
        lo = hi = 0;
        int fd = p->exe ? open(p->exe, O_RDONLY | O_CLOEXEC) : -1;
        struct stat st;
        if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
            void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
            if (m != MAP_FAILED) {
                if (!runtime_range(m, (size_t)st.st_size, &lo, &hi)) lo = hi = 0;
                munmap(m, (size_t)st.st_size);
            }
        }
        if (fd >= 0) close(fd);
    }
    return addr >= lo && addr < hi;
}
