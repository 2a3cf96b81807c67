import { session } from '../session/session';
import { TokenError } from '../session/token';
import { h } from '../ui/dom';
import { setStatus } from '../ui/messages';

/** The sign-in form: paste a token (scripts may use `/#token=<jwt>` instead). */
export function signInView(reason: string | undefined): HTMLElement {
  const error = h('p', { class: 'status', id: 'sign-in-error', role: 'alert' });
  setStatus(error, reason ?? '', 'error');
  const input = h('textarea', {
    id: 'token',
    name: 'token',
    rows: 4,
    required: true,
    spellcheck: 'false',
    autocomplete: 'off',
    'aria-describedby': 'token-help sign-in-error',
    // A token never holds a line break: Enter signs in, as in a one-line field.
    onkeydown: (event: Event) => {
      if (event instanceof KeyboardEvent && event.key === 'Enter' && !event.shiftKey) {
        event.preventDefault();
        form.requestSubmit();
      }
    },
  });
  const form = h(
    'form',
    {
      class: 'sign-in',
      'aria-labelledby': 'sign-in-title',
      onsubmit: (event: Event) => {
        event.preventDefault();
        try {
          session.signIn(input.value);
        } catch (failure) {
          setStatus(error, failure instanceof TokenError ? failure.message : 'This token could not be read.', 'error');
          input.focus();
        }
      },
    },
    h('h1', { id: 'sign-in-title' }, 'Sign in to Sightline'),
    h('label', { for: 'token' }, 'Access token'),
    input,
    h('p', { id: 'token-help', class: 'help' }, 'Paste the token you were given (for development: npm run -s token -- --role operator).'),
    error,
    h('button', { type: 'submit' }, 'Sign in'),
  );
  queueMicrotask(() => input.focus());
  return h('main', { id: 'main', class: 'sign-in-page' }, form);
}
