import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dockerRuntimeMessage } from './runtime-errors.js';

describe('dockerRuntimeMessage', () => {
  it("keeps the msg of runc's logfmt lines", () => {
    assert.equal(
      dockerRuntimeMessage('runc create failed: time="2026-11-23T01:00:00Z" level=error msg="unable to start container process: exec: \\"nope\\": executable file not found in $PATH"'),
      'runc create failed: unable to start container process: exec: "nope": executable file not found in $PATH',
    );
  });

  it("words crun's failures to start a process as runc does", () => {
    assert.equal(dockerRuntimeMessage('executable file `nope` not found in $PATH: No such file or directory'), 'exec: "nope": executable file not found in $PATH');
    assert.equal(dockerRuntimeMessage('executable file `/nonexistent` not found: No such file or directory'), 'exec: "/nonexistent": stat /nonexistent: no such file or directory');
    assert.equal(dockerRuntimeMessage('exec `/nonexistent`: No such file or directory'), 'exec: "/nonexistent": stat /nonexistent: no such file or directory');
    assert.equal(dockerRuntimeMessage('exec `/etc/passwd`: Permission denied'), 'exec: "/etc/passwd": permission denied');
    assert.equal(dockerRuntimeMessage('executable file `/nonexistent` not found in $PATH: No such file or directory'), 'exec: "/nonexistent": stat /nonexistent: no such file or directory');
    assert.equal(dockerRuntimeMessage('open executable: Permission denied', '/etc/passwd'), 'exec: "/etc/passwd": permission denied');
    assert.equal(dockerRuntimeMessage('open executable: Permission denied'), 'open executable: permission denied', 'no name to give');
    assert.equal(dockerRuntimeMessage('open executable: Operation not permitted', '/etc'), 'exec: "/etc": permission denied', 'a directory');
    assert.equal(dockerRuntimeMessage('open executable: Operation not permitted'), 'open executable: permission denied', 'a directory, no name to give');
    assert.equal(dockerRuntimeMessage('executable file `/etc/passwd` not found: Permission denied'), 'exec: "/etc/passwd": permission denied');
    assert.equal(dockerRuntimeMessage('chdir `/nonexistent`: No such file or directory'), 'chdir to cwd ("/nonexistent") set in config.json failed: no such file or directory');
  });

  it("lower-cases C's errno texts elsewhere and leaves other messages alone", () => {
    assert.equal(dockerRuntimeMessage('open `/x`: No such file or directory'), 'open `/x`: no such file or directory');
    assert.equal(dockerRuntimeMessage('cannot allocate memory'), 'cannot allocate memory');
  });
});
