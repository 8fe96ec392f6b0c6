import type * as lark from '@larksuiteoapi/node-sdk';
import type { Services } from '../../service/services.ts';
import { platformIdOf, resolvePerson } from '../identity.ts';

/**
 * Who a Lark user is: the config person whose `lark` is this open_id, or else the person whose
 * email is the user's, looked up with `contact.v3.user.get` (scope contact:user.email:readonly
 * gives `email`; `enterprise_email` is used when that is all there is), cached in Redis by
 * resolvePerson. A lookup that fails leaves the user unknown for this request only.
 */
export function larkPerson(s: Services, client: lark.Client, openId: string): Promise<string | undefined> {
  return resolvePerson(s, 'lark', openId, async (id) => {
    const r = await client.contact.v3.user.get({ path: { user_id: id }, params: { user_id_type: 'open_id' } });
    if (r.code !== undefined && r.code !== 0) throw new Error(`contact.v3.user.get: code ${r.code}: ${r.msg ?? ''}`);
    const user = r.data?.user;
    return user?.email ?? user?.enterprise_email ?? undefined;
  });
}

/** The Lark open_id of a config person, for card mentions. */
export function larkOpenIdOf(s: Pick<Services, 'config'>): (person: string) => string | undefined {
  return (person) => platformIdOf(s.config, 'lark', person);
}
