import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  loginBody,
  normaliseEmail,
  passwordIsEmail,
  passwordProblems,
  registerBody,
} from '../src/index';

describe('email normalisation', () => {
  test('when an email has spaces and capitals, then one lower-case spelling remains', () => {
    assert.equal(normaliseEmail('  Ada.Lovelace@Example.COM \n'), 'ada.lovelace@example.com');
  });
});

describe('password policy', () => {
  test('when a password is sensible, then it has no problems', () => {
    assert.deepEqual(passwordProblems('Correct-Horse-7'), []);
    assert.deepEqual(passwordProblems('correct horse battery'), []);
  });

  test('when a password is shorter than 8 or longer than 128 characters, then length is the problem', () => {
    assert.deepEqual(passwordProblems('Ab1!x'), ['must be at least 8 characters long']);
    assert.deepEqual(passwordProblems('Ab1!'.repeat(33)), ['must be at most 128 characters long']);
  });

  test('when length is counted, then an accented or emoji character counts once', () => {
    assert.deepEqual(passwordProblems('é🙂é🙂é🙂aB'), []);
    assert.equal(passwordProblems('🙂🙂🙂Ab1').length, 1);
  });

  test('when a password uses one kind of character only, then it is refused', () => {
    assert.match(passwordProblems('abcdefghij')[0] ?? '', /two kinds of character/);
    assert.match(passwordProblems('1234567890')[0] ?? '', /two kinds of character/);
  });

  test('when a password repeats one or two characters, then it is refused', () => {
    assert.deepEqual(passwordProblems('aAaAaAaAaA'), [
      'must use at least four different characters',
    ]);
  });

  test('when the password is the email in other casing, then it is recognised', () => {
    assert.equal(passwordIsEmail('Ada@Example.com', 'ada@example.com'), true);
    assert.equal(passwordIsEmail('Ada@Example.co', 'ada@example.com'), false);
  });
});

describe('registration and login bodies', () => {
  test('when a registration is valid, then the email is normalised and the name trimmed', () => {
    const body = registerBody.parse({
      email: ' Ada@Example.COM ',
      password: 'Correct-Horse-7',
      name: ' Ada ',
    });
    assert.deepEqual(body, { email: 'ada@example.com', password: 'Correct-Horse-7', name: 'Ada' });
  });

  test('when the password is the email, then the issue is on the password', () => {
    const result = registerBody.safeParse({
      email: 'ada1@example.com',
      password: 'ADA1@example.com',
      name: 'Ada',
    });
    assert.equal(result.success, false);
    assert.deepEqual(
      result.error?.issues.map((issue) => issue.path),
      [['password']],
    );
  });

  test('when a login names a weak password, then it is still accepted: the policy is for new ones', () => {
    assert.equal(loginBody.safeParse({ email: 'a@b.io', password: 'x' }).success, true);
  });
});
