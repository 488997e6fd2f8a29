import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nearNicknameGroups, nicknameGroups, nicknamePairCount, sameNicknameGroup } from './nicknames.ts';

const agree = (a: string, b: string) => sameNicknameGroup(nicknameGroups(a), nicknameGroups(b));

describe('nicknames', () => {
  it('knows the common English nicknames', () => {
    for (const [a, b] of [['BILL', 'WILLIAM'], ['BOB', 'ROBERT'], ['LIZ', 'ELIZABETH'], ['PEGGY', 'MARGARET'], ['JIM', 'JAMES'], ['BETH', 'ELIZABETH'], ['DICK', 'RICHARD'], ['SALLY', 'SARAH'], ['JACK', 'JOHN'], ['KATE', 'CATHERINE']]) {
      assert.ok(agree(a!, b!), `${a} / ${b}`);
    }
    assert.ok(nicknamePairCount() >= 300, `${nicknamePairCount()} pairs`);
  });
  it('lets two nicknames of one name agree, but not two formal names that share a nickname', () => {
    assert.ok(agree('BILL', 'WILL'));
    assert.ok(agree('CHRIS', 'CHRISTINA'));
    assert.ok(!agree('CHRISTOPHER', 'CHRISTINA'));
    assert.ok(!agree('WILLIAM', 'ROBERT'));
    assert.deepEqual(nicknameGroups('ZEBEDIAH'), []);
  });
  it('forgives one typing slip in a name the table does not know, but not in short names', () => {
    assert.ok(nearNicknameGroups('JENNIER').includes('JENNIFER'));
    assert.ok(nearNicknameGroups('HRISTINA').includes('CHRISTINA'));
    assert.deepEqual(nearNicknameGroups('TIN'), []);
    assert.deepEqual(nearNicknameGroups('WILLIAM'), nicknameGroups('WILLIAM'));
  });
});
