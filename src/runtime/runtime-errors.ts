/**
 * A runtime's failure to start a process, told in the words Docker users and tools know.
 *
 * Docker's texts are runc's, and the docker CLI reads them: `executable file not found` or
 * `no such file or directory` makes `docker run` exit 127, `permission denied` 126. runc
 * logs in logfmt (`time=... level=error msg="..."`): only the msg part is kept. crun says
 * the same things its own way, with C's capitalised errno texts:
 *
 *   crun                                                   runc (Docker)
 *   executable file `sh2` not found in $PATH: No such ...  exec: "sh2": executable file not found in $PATH
 *   exec `/x`: No such file or directory                   exec: "/x": stat /x: no such file or directory
 *   open executable: Permission denied                     exec: "/etc/passwd": permission denied
 *   open executable: Operation not permitted               exec: "/etc": permission denied
 *   chdir `/x`: No such file or directory                  chdir to cwd ("/x") set in config.json failed: no such file or directory
 *
 * crun 1.8 leaves the program's name out of the last two; `executable` puts it back. The last
 * is crun refusing a directory, which execve refuses with EACCES: Docker's 126 either way.
 */
const LOGFMT_MSG = /time="[^"]*" level=\w+ msg="((?:[^"\\]|\\.)*)"/g;

export function dockerRuntimeMessage(text: string, executable?: string): string {
  const refused = text.replace(/open executable: Operation not permitted/g, 'open executable: Permission denied');
  const named = executable === undefined ? refused : refused.replace(/open executable: (?=No such file or directory|Permission denied)/g, `exec \`${executable}\`: `);
  return named
    .replace(LOGFMT_MSG, (_, msg: string) => msg.replace(/\\"/g, '"'))
    .replace(/chdir `([^`]*)`: (No such file or directory|Permission denied|Not a directory)/g, (_, dir: string, why: string) => `chdir to cwd ("${dir}") set in config.json failed: ${why.toLowerCase()}`)
    .replace(/executable file `([^`/][^`]*)` not found in \$PATH: No such file or directory/g, 'exec: "$1": executable file not found in $PATH')
    .replace(/(?:executable file `(\/[^`]*)` not found(?: in \$PATH)?|exec `(\/[^`]*)`): No such file or directory/g, (_, a: string | undefined, b: string | undefined) => `exec: "${a ?? b}": stat ${a ?? b}: no such file or directory`)
    .replace(/(?:executable file `([^`]*)` not found(?: in \$PATH)?|exec `([^`]*)`): (No such file or directory|Permission denied)/g, (_, a: string | undefined, b: string | undefined, why: string) => `exec: "${a ?? b}": ${why.toLowerCase()}`)
    .replace(/No such file or directory|Permission denied/g, (why) => why.toLowerCase());
}
