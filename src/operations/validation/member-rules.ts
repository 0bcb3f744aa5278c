// A structure's declared members as the store's record rules (store.ts MemberRule), for an
// engine that checks a whole batch itself: the same declarations the validator reads, so
// the constraints have one source. Only what the rules can express is translated; a member
// of any other kind gives no rules at all, and then every batch takes the validator's path.
import type { MemberRule, StringRule } from '../../store/store.js';
import type { Members, Shape, StringShape } from './shapes.js';

function stringRule(shape: StringShape): StringRule | undefined {
  if (shape.enum) return undefined;
  return { min: shape.min, max: shape.max, pattern: shape.pattern };
}

function memberRule(shape: Shape, required: boolean, asSet: boolean): MemberRule | undefined {
  switch (shape.type) {
    case 'string': {
      const rule = stringRule(shape);
      return rule && { type: 'string', required, ...rule };
    }
    case 'timestamp':
      return { type: 'timestamp', required };
    case 'list': {
      // A plain list has no rule: only lists the operation keeps as sets (repeats dropped,
      // order ignored), and unique-items lists reject repeats, which a set would hide.
      if (!asSet || shape.unique || shape.member.type !== 'string') return undefined;
      const item = stringRule(shape.member);
      return item && { type: 'string-set', required, min: shape.min, max: shape.max, item };
    }
    default:
      return undefined;
  }
}

/**
 * The rules of a structure's body members, or undefined when any member is of a kind the
 * rules cannot express. `sets` names the list members the operation treats as sets.
 */
export function memberRules(members: Members, sets: readonly string[] = []): Record<string, MemberRule> | undefined {
  const rules: Record<string, MemberRule> = {};
  for (const [name, member] of Object.entries(members)) {
    if (member.location !== 'body') return undefined;
    const rule = memberRule(member.shape, member.required, sets.includes(name));
    if (!rule) return undefined;
    rules[name] = rule;
  }
  return rules;
}
