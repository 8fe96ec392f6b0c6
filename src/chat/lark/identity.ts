import type * as lark from '@larksuiteoapi/node-sdk';
import type { Services } from '../../service/services.ts';
import { platformIdOf, resolvePerson } from '../identity.ts';

/**
 * Who a Lark user is: the config person whose `lark` is this open_id, or else (for people the
 * config knows by email only) the person whose email is the user's Lark Mail address,
 * `enterprise_email` from `contact.v3.user.get` (scope contact:user.email:readonly). Lark marks
 * no address as verified; its docs say the directory's `email` field is contact data an admin
 * imported, not checked with the user, so it is not used: a mailbox the tenant itself issued is
 * the one address that is the person's (docs/lark.md). A lookup that fails, and a user outside
 * the app's contact range (another tenant), leave the user unknown.
 */
export function larkPerson(s: Services, client: lark.Client, openId: string): Promise<string | undefined> {
  return resolvePerson(s, 'lark', openId, {
    lookup: async (id) => {
      const r = await client.contact.v3.user.get({ path: { user_id: id }, params: { user_id_type: 'open_id' } });
      if (r.code !== undefined && r.code !== 0) throw new Error(`contact.v3.user.get: code ${r.code}: ${r.msg ?? ''}`);
      const user = r.data?.user;
      if (user === undefined) throw new Error('contact.v3.user.get returned no user');
      return { verifiedEmail: user.enterprise_email ?? undefined };
    },
  });
}

/** The Lark open_id of a config person, for card mentions. */
export function larkOpenIdOf(s: Pick<Services, 'config'>): (person: string) => string | undefined {
  return (person) => platformIdOf(s.config, 'lark', person);
}
