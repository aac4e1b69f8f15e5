"""CogSegSegmentor, UNetSRHead and UpscaleSegHead: Eq. 1's terms, and the SR branch's absence at
inference (identical outputs and FLOPs without it)."""
import copy

import pytest
import torch
from mmengine.config import ConfigDict
from mmengine.registry import DefaultScope
from mmengine.structures import PixelData
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample
from torch.utils.flop_counter import FlopCounterMode

import mmext  # noqa: F401
from mmext.models.decode_heads.unet_sr_head import unet_decode, unet_encode


@pytest.fixture(autouse=True)
def mmseg_scope():
    """Build with mmseg's registries, and leave the default scope as it was afterwards."""
    with DefaultScope.overwrite_default_scope('mmseg'):
        yield

NORM = dict(type='BN', requires_grad=True)


def unet_cfg(stages=3, base=4):
    return dict(type='UNet', in_channels=1, base_channels=base, num_stages=stages,
                strides=(1, ) * stages, enc_num_convs=(2, ) * stages,
                dec_num_convs=(2, ) * (stages - 1), downsamples=(True, ) * (stages - 1),
                enc_dilations=(1, ) * stages, dec_dilations=(1, ) * (stages - 1), norm_cfg=NORM)


def model_cfg(sr=True, levels=(1, 2), stages=3, edge=True):
    losses = [dict(type='CrossEntropyLoss', loss_weight=1.0, loss_name='loss_ce')]
    if edge:
        losses.append(dict(type='EdgeRMILoss', loss_weight=0.5))
    return ConfigDict(
        type='CogSegSegmentor',
        data_preprocessor=dict(type='SegDataPreProcessor', mean=[127.5], std=[127.5],
                               bgr_to_rgb=False, size_divisor=4),
        backbone=unet_cfg(stages),
        decode_head=dict(type='UpscaleSegHead', upscale=2, in_channels=4, in_index=stages - 1,
                         channels=4, num_classes=3, norm_cfg=NORM, loss_decode=losses),
        sr_head=dict(type='UNetSRHead', out_channels=1, norm_cfg=NORM, loss_weight=0.5)
        if sr else None,
        feat_l1_levels=levels if sr else (),
        loss_feat_weight=0.5,
        test_cfg=dict(mode='whole'))


def samples(n=2, size=16, seed=0):
    g = torch.Generator().manual_seed(seed)
    out = []
    for _ in range(n):
        ds = SegDataSample()
        ds.gt_sem_seg = PixelData(data=torch.randint(0, 3, (1, 2 * size, 2 * size), generator=g))
        ds.gt_sr_img = PixelData(data=torch.randint(0, 256, (1, 2 * size, 2 * size),
                                                    generator=g).to(torch.uint8))
        ds.set_metainfo(dict(img_shape=(size, size), ori_shape=(2 * size, 2 * size),
                             img_path='x.png'))
        out.append(ds)
    return out


def build(**kwargs):
    torch.manual_seed(0)
    model = MODELS.build(model_cfg(**kwargs))
    model.init_weights()
    return model


def test_loss_terms_of_eq1():
    model = build()
    x = torch.randn(2, 1, 16, 16)
    losses = model.loss(x, samples())
    assert set(losses) == {'decode.loss_ce', 'decode.loss_edge_rmi', 'decode.acc_seg',
                           'sr.loss_mse', 'sr.loss_feat_l1_1', 'sr.loss_feat_l1_2'}
    assert all(torch.isfinite(v).all() for v in losses.values())
    total = sum(v for k, v in losses.items() if 'loss' in k)
    total.backward()
    for part in (model.backbone, model.decode_head, model.sr_head):
        assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in part.parameters())

    # the MSE term: 0.5 * mean((SR(x) - (HR - 127.5) / 127.5)^2)
    model.eval()  # deterministic BN for the recomputation below
    ds = samples()
    losses = model.loss(x, ds)
    enc = unet_encode(model.backbone, x)
    sr_feats, sr = model.sr_head(enc)
    hr = (torch.stack([d.gt_sr_img.data for d in ds]).float() - 127.5) / 127.5
    assert losses['sr.loss_mse'].item() == pytest.approx(0.5 * ((sr - hr)**2).mean().item(),
                                                         rel=1e-5)
    # Eq. 2: L1(i) = 1 / (C_i N) sum |F_sr - F_seg| (also averaged over the batch), weight 0.5
    seg_feats = model.backbone(x)
    for level in (1, 2):
        ref = (sr_feats[level] - seg_feats[level]).abs().sum() / sr_feats[level].numel()
        assert losses[f'sr.loss_feat_l1_{level}'].item() == pytest.approx(0.5 * ref.item(),
                                                                           rel=1e-5)


def test_shared_encoder_path_equals_the_unet():
    model = build().eval()
    x = torch.randn(2, 1, 16, 16)
    ours = unet_decode(model.backbone, unet_encode(model.backbone, x))
    for a, b in zip(ours, model.backbone(x)):
        torch.testing.assert_close(a, b)


def test_predict_never_runs_the_sr_branch_and_matches_plain_unet():
    model = build().eval()

    def fail(*args):
        raise AssertionError('the SR branch ran at inference')

    model.sr_head.register_forward_pre_hook(fail)
    x = torch.randn(2, 1, 16, 16)
    ds = samples()
    with torch.no_grad():
        out = model.predict(x, copy.deepcopy(ds))
        tensor_out = model(x, mode='tensor')
    assert out[0].pred_sem_seg.shape == (32, 32)  # x2 output
    assert out[0].seg_logits.data.shape == (3, 32, 32)

    # the same weights without the SR branch: a plain EncoderDecoder
    plain_cfg = model_cfg(sr=False)
    plain_cfg['type'] = 'EncoderDecoder'
    plain_cfg.pop('sr_head')
    plain_cfg.pop('feat_l1_levels')
    plain_cfg.pop('loss_feat_weight')
    plain = MODELS.build(plain_cfg).eval()
    missing, unexpected = plain.load_state_dict(model.state_dict(), strict=False)
    assert not missing and all(k.startswith('sr_head.') for k in unexpected)
    with torch.no_grad():
        plain_out = plain.predict(x, copy.deepcopy(ds))
    torch.testing.assert_close(out[0].seg_logits.data, plain_out[0].seg_logits.data)

    # deleting the branch gives identical predictions too
    model.sr_head = None
    with torch.no_grad():
        again = model.predict(x, copy.deepcopy(ds))
    torch.testing.assert_close(out[1].seg_logits.data, again[1].seg_logits.data)
    torch.testing.assert_close(tensor_out, model(x, mode='tensor'))


def test_inference_cost_equals_plain_unet():
    """FLOPs of predict and the parameters that take part in it are the U-Net's."""
    cogseg = build().eval()
    unet = build(sr=False).eval()
    x = torch.randn(1, 1, 16, 16)

    def cost(model):
        used = set()
        hooks = [m.register_forward_hook(lambda mod, i, o: used.add(mod))
                 for m in model.modules() if not list(m.children())]
        with torch.no_grad(), FlopCounterMode(display=False) as counter:
            model.predict(x, samples(1))
        for h in hooks:
            h.remove()
        params = sum(p.numel() for m in used for p in m.parameters(recurse=False))
        return counter.get_total_flops(), params

    flops_c, params_c = cost(cogseg)
    flops_u, params_u = cost(unet)
    assert flops_c == flops_u > 0
    assert params_c == params_u
    # the SR branch does cost parameters, only at training time
    n_all = sum(p.numel() for p in cogseg.parameters())
    assert n_all - sum(p.numel() for p in cogseg.sr_head.parameters()) == \
        sum(p.numel() for p in unet.parameters())


def test_one_l1_term_and_no_sr():
    model = build(levels=(2, ))
    losses = model.loss(torch.randn(2, 1, 16, 16), samples())
    assert [k for k in losses if 'feat_l1' in k] == ['sr.loss_feat_l1_2']
    plain = build(sr=False, edge=False)
    losses = plain.loss(torch.randn(2, 1, 16, 16), samples())
    assert set(losses) == {'decode.loss_ce', 'decode.acc_seg'}


def test_padding_is_scaled_with_the_upscaled_logits():
    model = build().eval()
    ds = samples(1, size=12)
    ds[0].set_metainfo(dict(img_shape=(12, 12), ori_shape=(24, 24),
                            img_padding_size=[0, 4, 0, 4], pad_shape=(16, 16)))
    x = torch.randn(1, 1, 16, 16)
    with torch.no_grad():
        out = model.predict(x, ds)
        full = model.encode_decode(x, [dict(img_shape=(16, 16), pad_shape=(16, 16))])
    assert out[0].seg_logits.data.shape == (3, 24, 24)
    torch.testing.assert_close(out[0].seg_logits.data, full[0, :, :24, :24])


def test_errors_name_the_problem():
    with pytest.raises(ValueError, match='feat_l1_levels'):
        cfg = model_cfg(sr=False)
        cfg['feat_l1_levels'] = (1, )
        MODELS.build(cfg)
    with pytest.raises(ValueError, match='out of range'):
        MODELS.build(model_cfg(levels=(3, )))
    cfg = model_cfg()
    cfg['backbone'] = dict(type='ResNetV1c', depth=18, in_channels=1)
    with pytest.raises(TypeError, match='U-Net-shaped'):
        MODELS.build(cfg)
    with pytest.raises(ValueError, match='sr_target_range'):
        MODELS.build(dict(model_cfg(), sr_target_range='hu'))
    cfg = model_cfg()
    cfg['test_cfg'] = dict(mode='slide', crop_size=(8, 8), stride=(4, 4))
    with pytest.raises(ValueError, match='slide'):
        MODELS.build(cfg)
    model = build()
    ds = samples()
    del ds[1].gt_sr_img
    with pytest.raises(KeyError, match='gt_sr_img'):
        model.loss(torch.randn(2, 1, 16, 16), ds)
    with pytest.raises(ValueError, match='x2 head predicts'):
        model.loss(torch.randn(2, 1, 12, 12), samples())


def test_upscale_seg_head_alone():
    head = MODELS.build(dict(type='UpscaleSegHead', upscale=4, in_channels=6, channels=5,
                             num_classes=2, out_channels=2))
    logits = head([torch.randn(1, 6, 8, 8)])
    assert logits.shape == (1, 2, 32, 32)
    assert head.predict_by_feat(logits, [dict(img_shape=(8, 8))]).shape == (1, 2, 32, 32)
    with pytest.raises(ValueError, match='power of 2'):
        MODELS.build(dict(type='UpscaleSegHead', upscale=3, in_channels=6, channels=5,
                          num_classes=2))


def test_detach_sr_feats_makes_the_sr_branch_a_teacher():
    """With detach_sr_feats the L1 terms move only the segmentation branch: the SR decoder gets
    no gradient from them, and the L1 values are the same."""
    x = torch.randn(2, 1, 16, 16)
    grads = {}
    for detach in (False, True):
        torch.manual_seed(0)
        model = MODELS.build(dict(model_cfg(), detach_sr_feats=detach))
        model.init_weights()
        losses = model.loss(x, samples())
        l1 = losses['sr.loss_feat_l1_1'] + losses['sr.loss_feat_l1_2']
        l1.backward()
        grads[detach] = (l1.item(), sum(p.grad.abs().sum().item() for p in
                                        model.sr_head.unet.parameters() if p.grad is not None),
                         sum(p.grad.abs().sum().item() for p in model.backbone.decoder.parameters()
                             if p.grad is not None))
    assert grads[True][0] == pytest.approx(grads[False][0], rel=1e-6)
    assert grads[False][1] > 0 and grads[True][1] == 0
    assert grads[True][2] > 0 and grads[True][2] == pytest.approx(grads[False][2], rel=1e-5)


@pytest.mark.parametrize('target_range, expected', [
    ('normalized', lambda hr: (hr - 127.5) / 127.5), ('unit', lambda hr: hr / 255.0),
    ('raw', lambda hr: hr)])
def test_sr_target_range(target_range, expected):
    torch.manual_seed(0)
    model = MODELS.build(dict(model_cfg(), sr_target_range=target_range))
    ds = samples()
    hr = torch.stack([d.gt_sr_img.data for d in ds]).float()
    torch.testing.assert_close(model.sr_targets(ds), expected(hr))


def test_deep_supervision_at_decoder_scales():
    """sr_head.deep_supervision_levels: one 1x1 image output per decoder stage, MSE against the
    HR target average-pooled to that stage; segmentation deep supervision is mmseg's
    auxiliary_head list on the decoder stages."""
    cfg = model_cfg()
    cfg['sr_head']['deep_supervision_levels'] = (1, 2)
    cfg['sr_head']['deep_supervision_weight'] = 0.25
    cfg['auxiliary_head'] = [
        dict(type='FCNHead', in_index=i, in_channels=4 * 2**(2 - i), channels=4, num_convs=1,
             concat_input=False, num_classes=3, norm_cfg=NORM,
             loss_decode=dict(type='CrossEntropyLoss', loss_weight=0.4)) for i in (1, 2)]
    torch.manual_seed(0)
    model = MODELS.build(cfg)
    model.init_weights()
    x = torch.randn(2, 1, 16, 16)
    ds = samples()
    losses = model.loss(x, ds)
    assert {'sr.loss_mse_ds1', 'sr.loss_mse_ds2', 'aux_0.loss_ce', 'aux_1.loss_ce'} <= set(losses)
    model.eval()
    losses = model.loss(x, ds)
    feats, _ = model.sr_head(unet_encode(model.backbone, x))
    hr = (torch.stack([d.gt_sr_img.data for d in ds]).float() - 127.5) / 127.5
    for i, size in ((1, 8), (2, 16)):
        side = model.sr_head.side_outputs[str(i)](feats[i])
        assert side.shape == (2, 1, size, size)
        # average pooling of the 32x32 target by hand: blocks of 32 / size pixels
        k = 32 // size
        target = hr.reshape(2, 1, size, k, size, k).mean(dim=(3, 5))
        assert losses[f'sr.loss_mse_ds{i}'].item() == pytest.approx(
            0.25 * ((side - target)**2).mean().item(), rel=1e-5)
    with pytest.raises(ValueError, match='deep_supervision_levels'):
        MODELS.build(dict(model_cfg(), sr_head=dict(type='UNetSRHead',
                                                    deep_supervision_levels=(3, ))))


@pytest.mark.parametrize('backbone', [
    dict(type='UNetPlusPlus', in_channels=1, base_channels=4, num_stages=3, norm_cfg=NORM),
    dict(unet_cfg(), type='AttentionUNet'),
])
def test_any_unet_shaped_backbone(backbone):
    """UNet++ and Attention U-Net share their encoder with an SR decoder of their own kind: the
    shared-encoder path equals the backbone's forward, the SR twin has the backbone's decoder
    (nested nodes / gates) and no encoder, and all Eq. 1 terms train."""
    cfg = model_cfg()
    cfg['backbone'] = backbone
    torch.manual_seed(0)
    model = MODELS.build(cfg)
    model.init_weights()
    model.eval()
    x = torch.randn(2, 1, 16, 16)
    for a, b in zip(unet_decode(model.backbone, unet_encode(model.backbone, x)),
                    model.backbone(x)):
        torch.testing.assert_close(a, b)
    twin = model.sr_head.unet
    assert type(twin) is type(model.backbone) and not hasattr(twin, 'encoder')
    own = {k for k, _ in model.backbone.named_parameters() if not k.startswith('encoder.')}
    assert own and own == {k for k, _ in twin.named_parameters()}
    model.train()
    losses = model.loss(x, samples())
    assert {'sr.loss_mse', 'sr.loss_feat_l1_1', 'sr.loss_feat_l1_2'} <= set(losses)
    sum(v for k, v in losses.items() if 'loss' in k).backward()
    assert all(torch.isfinite(v).all() for v in losses.values())
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in twin.parameters())
    with torch.no_grad():
        model.eval()
        out = model.predict(x, copy.deepcopy(samples()))
    assert out[0].pred_sem_seg.shape == (32, 32)
